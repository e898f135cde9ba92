// Every operation kind once, over the real Chinook sample database on PostgreSQL (test/fixtures/chinook.yaml) and on
// SQL Server (its SQL Server edition, test/fixtures/chinook-mssql.yaml: the same API over PascalCase names).
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chinookMssqlSkipReason, chinookSkipReason, loadChinook } from './support/chinook.js';
import { loadChinookMssql } from './support/chinook-mssql.js';
import { testMssql } from './support/mssql-env.js';
import { testPostgres } from './support/pg-env.js';
import { assertProblem, count, qs, sql, startGateway, testConfig, type TestGateway, viaExpressDoor } from './support/gateway.js';
import { projectRoot } from './support/project.js';

type Row = Record<string, unknown>;

const pg = testPostgres();
const mssql = testMssql();

/** Chinook on each server: how to load it, its contract, and its check queries' names. */
const servers = [
  {
    name: 'PostgreSQL',
    skip: 'skip' in pg ? pg.skip : chinookSkipReason(),
    load: async () => ({ client: 'pg' as const, url: await loadChinook((pg as { adminUrl: string }).adminUrl, 'chinook_crud') }),
    spec: 'chinook.yaml',
    sql: (text: string) => text,
  },
  {
    name: 'SQL Server',
    skip: 'skip' in mssql ? mssql.skip : chinookMssqlSkipReason(),
    load: async () => ({ client: 'mssql' as const, url: await loadChinookMssql((mssql as { adminUrl: string }).adminUrl, 'chinook_crud') }),
    spec: 'chinook-mssql.yaml',
    sql: tsql,
  },
];

/** The check queries, written for the PostgreSQL edition, in T-SQL over the SQL Server edition's names. */
function tsql(text: string): string {
  const pascal = (snake: string): string => snake.split('_').map((p) => p[0]!.toUpperCase() + p.slice(1)).join('');
  return text
    .replace(/^select (.*) limit (\d+)$/s, (_m, body: string, n: string) => `select top (${n}) ${body}`)
    .replace(/\b(artist|album|track|invoice_line|playlist_track|[a-z]+_id|unit_price|milliseconds|composer|title|name)\b/g, (w) => `[${pascal(w)}]`);
}

for (const server of servers.filter((s) => s.name !== 'SQL Server' || !viaExpressDoor())) describe(`Chinook through the gateway on ${server.name}`, { skip: server.skip }, () => {
  let t: TestGateway;
  /** Rows of a check query, keyed by the PostgreSQL edition's snake_case names on either server. */
  const checkRows = async <T,>(text: string): Promise<T[]> =>
    (await sql<Record<string, unknown>>(t.db, server.sql(text))).map(
      (row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k.replace(/(?<=[a-z])([A-Z])/g, '_$1').toLowerCase(), v])) as T,
    );
  const countRows = (from: string): Promise<number> => count(t.db, server.sql(from));

  before(async () => {
    t = await startGateway({
      config: testConfig({
        source: await server.load(),
        sourceName: 'chinook',
        spec: path.join(projectRoot, 'test', 'fixtures', server.spec),
        limits: { defaultPageSize: 100, maxPageSize: 1000, maxAffected: 50 },
      }),
    });
  });
  after(() => t?.close());

  it('list: filters, order, select and count over the real tracks table agree with SQL', async () => {
    const res = await t.http
      .get(`/tracks${qs({ genreId: 'in.(1,3)', milliseconds: 'gt.300000', composer: 'not.is.null', order: 'milliseconds.desc', select: 'trackId,name,milliseconds', limit: 5 })}`)
      .set('Prefer', 'count=exact');
    assert.equal(res.status, 200, res.text);
    const want = await checkRows<{ track_id: number }>(`select track_id from track where genre_id in (1, 3) and milliseconds > 300000 and composer is not null
        order by milliseconds desc, track_id limit 5`,
    );
    assert.deepEqual((res.body as Row[]).map((r) => r.trackId), want.map((w) => w.track_id));
    const total = await countRows(`track where genre_id in (1, 3) and milliseconds > 300000 and composer is not null`);
    assert.equal(res.headers['content-range'], `0-4/${total}`);
    assert.deepEqual(Object.keys((res.body as Row[])[0]!), ['trackId', 'name', 'milliseconds']);
  });

  it('list with a cursor: every album of the catalogue comes exactly once, ordered by title desc', async () => {
    const seen: unknown[] = [];
    let next: string | undefined = `/albums${qs({ order: 'title.desc', limit: 50, select: 'albumId,title' })}`;
    for (let pages = 0; next; pages++) {
      assert.ok(pages < 50);
      const res = await t.http.get(next);
      assert.equal(res.status, 200, res.text);
      seen.push(...(res.body as Row[]).map((r) => r.albumId));
      next = /^<([^>]+)>/.exec(String(res.headers.link ?? ''))?.[1];
    }
    const want = await checkRows<{ album_id: number }>(`select album_id from album order by title desc, album_id`);
    assert.deepEqual(seen, want.map((w) => w.album_id));
  });

  it('read: one album and one track by key, exact numerics as text', async () => {
    assert.deepEqual((await t.http.get('/albums/1').expect(200)).body, {
      albumId: 1,
      title: 'For Those About To Rock We Salute You',
      artistId: 1,
    });
    const track = (await t.http.get('/tracks/1').expect(200)).body as Row;
    assert.equal(track.unitPrice, '0.99');
    assert.equal(track.albumId, 1);
  });

  it('read: a playlist entry by its composite key, and 404 for a pair that is not linked', async () => {
    const [link] = await checkRows<{ playlist_id: number; track_id: number }>(`select * from playlist_track order by 1, 2 limit 1`);
    const res = await t.http.get(`/playlist-tracks/${link!.playlist_id}/${link!.track_id}`).expect(200);
    assert.deepEqual(res.body, { playlistId: link!.playlist_id, trackId: link!.track_id });
    assertProblem(await t.http.get('/playlist-tracks/2/1'), 404, 'row_not_found');
  });

  it('create: a new artist answers 201 with its Location, and the key is the one given', async () => {
    const res = await t.http.post('/artists').send({ artistId: 9001, name: 'Gatehouse Quartet' });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.headers.location, '/artists/9001');
    assert.equal((await checkRows<Row>(`select name from artist where artist_id = 9001`))[0]!.name, 'Gatehouse Quartet');
  });

  it('create many: invoice lines in one statement, all or nothing', async () => {
    const base = { invoiceId: 1, unitPrice: '0.99', quantity: 1 };
    const ok = await t.http
      .post('/invoice-lines')
      .set('Prefer', 'return=representation')
      .send([{ ...base, invoiceLineId: 90001, trackId: 1 }, { ...base, invoiceLineId: 90002, trackId: 2 }]);
    assert.equal(ok.status, 201, ok.text);
    assert.equal((ok.body as Row[]).length, 2);
    const before_ = await countRows('invoice_line');
    const bad = await t.http.post('/invoice-lines').send([
      { ...base, invoiceLineId: 90003, trackId: 3 },
      { ...base, invoiceLineId: 90004, trackId: 999999 },
    ]);
    assertProblem(bad, 409, 'foreign_key_violation');
    assert.equal(await countRows('invoice_line'), before_);
  });

  it('upsert: adding playlist entries ignores the ones already there', async () => {
    const [existing] = await checkRows<{ playlist_id: number; track_id: number }>(`select * from playlist_track where playlist_id = 1 limit 1`);
    const res = await t.http
      .post('/playlist-tracks')
      .set('Prefer', 'resolution=ignore-duplicates, return=representation')
      .send([
        { playlistId: 1, trackId: existing!.track_id },
        { playlistId: 2, trackId: 1 },
      ]);
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.body, [{ playlistId: 2, trackId: 1 }]);
  });

  it('update: PATCH an artist by key changes only its name', async () => {
    await t.http.patch('/artists/9001').send({ name: 'Gatehouse Quintet' }).expect(204);
    assert.equal((await checkRows<Row>(`select name from artist where artist_id = 9001`))[0]!.name, 'Gatehouse Quintet');
  });

  it('replace: PUT an artist sets the omitted nullable name to null; PUT a new id creates it', async () => {
    await t.http.put('/artists/9001').send({}).expect(204);
    assert.equal((await checkRows<Row>(`select name from artist where artist_id = 9001`))[0]!.name, null);
    const created = await t.http.put('/artists/9002').set('Prefer', 'return=representation').send({ name: 'Made by PUT' });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.body, { artistId: 9002, name: 'Made by PUT' });
  });

  it('replace: PUT on the all-key playlist entry keeps an existing link and creates a missing one', async () => {
    await t.http.put('/playlist-tracks/2/1').send({}).expect(204);
    const res = await t.http.put('/playlist-tracks/2/2').send({});
    assert.equal(res.status, 201, res.text);
    assert.equal(res.headers.location, '/playlist-tracks/2/2');
    assert.equal(await countRows(`playlist_track where playlist_id = 2 and track_id in (1, 2)`), 2);
  });

  it('update many: PATCH the tracks of one album, within max-affected', async () => {
    const n = await countRows('track where album_id = 1');
    const res = await t.http.patch('/tracks?albumId=eq.1').set('Prefer', 'return=representation').send({ unitPrice: '1.29' });
    assert.equal(res.status, 200, res.text);
    assert.equal((res.body as Row[]).length, n);
    assert.equal(await countRows(`track where album_id = 1 and unit_price = 1.29`), n);
    // Rock (genre 1) has far more than 50 tracks: refused, nothing changed.
    assertProblem(await t.http.patch('/tracks?genreId=eq.1').send({ unitPrice: '0.01' }), 400, 'max_affected_exceeded');
    assert.equal(await countRows(`track where unit_price = 0.01`), 0);
  });

  it('delete: by composite key, and an artist still referenced by albums answers 409', async () => {
    await t.http.delete('/playlist-tracks/2/2').expect(204);
    assert.equal(await countRows(`playlist_track where playlist_id = 2 and track_id = 2`), 0);
    assertProblem(await t.http.delete('/artists/1'), 409, 'foreign_key_violation');
    await t.http.delete('/artists/9002').expect(204);
  });

  it('delete many: the invoice lines created above, by filter', async () => {
    const res = await t.http.delete('/invoice-lines?invoiceLineId=gte.90001').set('Prefer', 'return=representation');
    assert.equal(res.status, 200, res.text);
    assert.deepEqual((res.body as Row[]).map((r) => r.invoiceLineId).sort(), [90001, 90002]);
    assertProblem(await t.http.delete('/invoice-lines'), 400, 'unfiltered_write');
  });

  it('routing: an operation the contract does not declare answers 405 with Allow', async () => {
    const res = await t.http.delete('/albums/1');
    assertProblem(res, 405, 'method_not_allowed');
    assert.equal(res.headers.allow, 'GET');
  });
});
