// init and check on Chinook (a real sample database) on PostgreSQL: generate → lint → serve → check, then drift it.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';
import { chinookSkipReason, loadChinook } from './support/chinook.js';
import { gatehouse } from './support/gatehouse-cli.js';
import { generateAndServe, type GeneratedGateway } from './support/generated-gateway.js';
import { testPostgres } from './support/pg-env.js';
import { describeProblems, redoclyLint } from './support/redocly-lint.js';

const pg = testPostgres();
const skip = 'skip' in pg ? pg.skip : chinookSkipReason();

describe('init and check on Chinook', { skip }, () => {
  let g: GeneratedGateway;
  let config: string;
  before(async () => {
    if ('skip' in pg) return;
    const url = await loadChinook(pg.adminUrl, 'chinook_init');
    g = await generateAndServe({ url, sourceName: 'chinook', seed: async () => undefined });
    config = path.join(path.dirname(g.specPath), 'gatehouse.yaml');
    await writeFile(config, YAML.stringify({ spec: path.basename(g.specPath), sources: { chinook: { client: 'pg', connection: url } } }));
  });
  after(async () => g?.close());

  it('when init reads Chinook, then every table becomes a resource with an item path, and the linter finds no errors', async () => {
    assert.deepEqual(
      g.generated.resources.map((r) => `${r.name}${r.itemPath ? ' (item)' : ''}`),
      [
        'album (item)', 'artist (item)', 'customer (item)', 'employee (item)', 'genre (item)', 'invoice (item)',
        'invoice-line (item)', 'media-type (item)', 'playlist (item)', 'playlist-track (item)', 'track (item)',
      ],
    );
    assert.deepEqual(g.generated.notes, [], 'Chinook has a key on every table and plain names: nothing to report');
    const lint = await redoclyLint(g.specPath);
    assert.equal(lint.errors, 0, describeProblems(lint));
  });

  it('when the document is served unchanged, then lists, filters and gets by (composite) key return Chinook rows', async () => {
    const album = await g.http.get('/album/1');
    assert.equal(album.status, 200, album.text);
    assert.deepEqual(album.body, { albumId: 1, title: 'For Those About To Rock We Salute You', artistId: 1 });
    const lines = await g.http.get('/invoice-line?invoiceId=eq.1&order=invoiceLineId');
    assert.deepEqual(lines.body.map((l: { trackId: number; unitPrice: string }) => [l.trackId, l.unitPrice]), [[2, '0.99'], [4, '0.99']]);
    const pair = await g.http.get('/playlist-track/1/3402');
    assert.equal(pair.status, 200, pair.text);
    assert.deepEqual(pair.body, { playlistId: 1, trackId: 3402 });
    const employee = await g.http.get('/employee/1?select=lastName,reportsTo,hireDate');
    assert.deepEqual(employee.body, { lastName: 'Adams', reportsTo: null, hireDate: '2002-08-14T00:00:00' });
    for (const resource of g.generated.resources) {
      const res = await g.http.get(`/${resource.name}?limit=3`);
      assert.equal(res.status, 200, `${resource.name}: ${res.text}`);
      assert.equal(res.body.length, 3, resource.name);
    }
  });

  it('when nothing changed, then check reports no drift and exits 0', async () => {
    const result = await gatehouse(['check', '--config', config]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'check: no drift (11 resources on chinook)\n');
  });

  it('when a column type changes, then check reports an error and exits 1', async () => {
    await g.db.raw('alter table track alter column milliseconds type bigint');
    try {
      const result = await gatehouse(['check', '--config', config]);
      assert.equal(result.code, 1, result.stderr);
      assert.match(result.stdout, /^error {2}type_changed {7}resource "track", property "milliseconds": the document says integer; the column is now int8, which is string \(int64\)$/m);
    } finally {
      await g.db.raw('alter table track alter column milliseconds type integer');
    }
  });

  it('when a column is dropped, then check reports an error and exits 1', async () => {
    await g.db.raw('alter table customer drop column fax');
    const result = await gatehouse(['check', '--config', config]);
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stdout, /^error {2}column_missing {5}resource "customer", property "fax": public\.customer no longer has this column/m);
    assert.match(result.stdout, /check: 1 breaking change \(11 resources on chinook\)/);
  });

  it('when a column is added, then check reports it for information and exits 0', async () => {
    await g.db.raw('alter table customer add column fax varchar(24)');
    await g.db.raw('alter table artist add column country varchar(40)');
    const result = await gatehouse(['check', '--config', config]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^info {3}column_unexposed {3}resource "artist": column "country" \(varchar\) is not exposed by the document$/m);
    assert.doesNotMatch(result.stdout, /^error/m, 'the re-added fax column matches the document again');
  });
});
