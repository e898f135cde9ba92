// Start-up checks of the entity schemas: a schema the request validator cannot compile refuses the start, naming the
// resource and what is wrong, although validators are compiled on a resource's first use.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import knex from 'knex';
import request from 'supertest';
import YAML from 'yaml';
import { loadConfig } from '../src/config/load.js';
import { seedErp } from '../src/demo/erp-schema.js';
import { SpecError } from '../src/errors/app-error.js';
import { createGateway } from '../src/gateway.js';
import { createLogger } from '../src/observability/logger.js';
import { ERP_SPEC } from './support/project.js';
import { freshDatabase, testPostgres } from './support/pg-env.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const pg = testPostgres();
const skip = 'skip' in pg ? pg.skip : false;

describe('entity schemas at start-up', { skip }, () => {
  let erp: Doc;
  let dataUrl: string;
  let dir: string;

  before(async () => {
    erp = YAML.parse(await readFile(ERP_SPEC, 'utf8')) as Doc;
    dataUrl = await freshDatabase('spec_schemas');
    const db = knex({ client: 'pg', connection: dataUrl });
    await seedErp(db);
    await db.destroy();
    dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-schemas-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** Starts a gateway on the ERP contract with `change` applied; returns its refusal, or the started gateway. */
  async function start(name: string, change: (doc: Doc) => void) {
    const doc = structuredClone(erp);
    change(doc);
    const file = path.join(dir, `${name}.yaml`);
    await writeFile(file, YAML.stringify(doc));
    const config = loadConfig({
      raw: { spec: file, sources: { erp: { client: 'pg', connection: dataUrl } }, auth: { disabled: true }, log: { level: 'error' } },
      env: {},
    });
    return createGateway(config, createLogger({ level: 'error', silent: true }));
  }

  async function refusal(name: string, change: (doc: Doc) => void): Promise<readonly string[]> {
    try {
      const gateway = await start(name, change);
      await gateway.close();
    } catch (err) {
      assert.ok(err instanceof SpecError, String(err));
      return err.problems;
    }
    assert.fail('the contract was accepted');
  }

  it('when a property’s pattern is not a valid regular expression, then start-up refuses, naming the resource and the pattern', async () => {
    const problems = await refusal('regex', (d) => {
      d.components.schemas.Item.properties.code.pattern = '([A-Z';
    });
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0]!, /^resource "items" \(\/items\): the entity schema cannot be compiled: \/properties\/code\/pattern "\(\[A-Z" is not a valid regular expression/);
  });

  it('when a property’s schema breaks JSON Schema (an unknown type), then start-up refuses, naming the resource and the keyword', async () => {
    const problems = await refusal('type', (d) => {
      d.components.schemas.Customer.properties.region.type = 'strng';
    });
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0]!, /^resource "customers" \(\/customers\): the entity schema cannot be compiled: \/properties\/region\/type must be/);
  });

  it('when a property refers to a schema the contract cannot resolve, then start-up refuses, naming the reference', async () => {
    const problems = await refusal('ref', (d) => {
      d.components.schemas.Item.properties.description = { $ref: 'https://schemas.example.test/description.json', 'x-gatehouse-column': 'DESCR' };
    });
    assert.ok(
      problems.some((p) => p.startsWith('resource "items" (/items): the entity schema cannot be compiled: /properties/description refers to https://schemas.example.test/description.json')),
      problems.join('\n'),
    );
  });

  it('when several entity schemas are broken, then every one is reported at once', async () => {
    const problems = await refusal('several', (d) => {
      d.components.schemas.Item.properties.code.pattern = '(';
      d.components.schemas.Customer.required = 'name';
    });
    assert.equal(problems.length, 2, problems.join('\n'));
  });

  it('when the schemas are sound, then the first write of a resource validates its body as before', async () => {
    const gateway = await start('sound', () => undefined);
    try {
      const res = await request(gateway.app).post('/items').send({ code: 'X-1', description: 42 });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.ok(
        (res.body.errors as Array<{ pointer: string }>).some((e) => e.pointer === '/description'),
        JSON.stringify(res.body),
      );
    } finally {
      await gateway.close();
    }
  });
});
