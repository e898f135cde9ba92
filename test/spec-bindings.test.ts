// Start-up checks of the contract: bindings to missing tables, columns or sources, and writes to views, refuse to start with precise messages.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';
import { loadConfig } from '../src/config/load.js';
import { seedErp } from '../src/demo/erp-schema.js';
import { createDataSources, type DataSources } from '../src/db/sources.js';
import { SpecError } from '../src/errors/app-error.js';
import { createGateway } from '../src/gateway.js';
import { checkBindings } from '../src/openapi/check-bindings.js';
import { loadSpec } from '../src/openapi/load-spec.js';
import { createLogger } from '../src/observability/logger.js';
import { ERP_SPEC, projectRoot } from './support/project.js';
import { freshDatabase, testPostgres } from './support/pg-env.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

let erp: Doc;
let sources: DataSources;

before(async () => {
  erp = YAML.parse(await readFile(ERP_SPEC, 'utf8')) as Doc;
  const config = loadConfig({ raw: { spec: ERP_SPEC, sources: { erp: { client: 'pglite', connection: 'memory://' } } }, env: {}, baseDir: projectRoot });
  sources = createDataSources(config.sources);
  await seedErp(sources.get('erp')!.db);
});
after(() => sources?.destroy());

/** The ERP contract with `change` applied to a copy. */
function variant(change: (doc: Doc) => void): Doc {
  const doc = structuredClone(erp);
  change(doc);
  return doc;
}

/** Both item and collection path items carry the binding; change both alike. */
function rebind(doc: Doc, resource: string, binding: Record<string, unknown>): void {
  for (const [path, item] of Object.entries(doc.paths as Record<string, Doc>)) {
    if (path === `/${resource}` || path.startsWith(`/${resource}/`)) item['x-gatehouse'] = { ...item['x-gatehouse'], ...binding };
  }
}

/** The problems start-up reports for `doc`: the document check, then the binding check against the seeded database. */
async function startupProblems(doc: Doc): Promise<readonly string[]> {
  try {
    const spec = await loadSpec(doc);
    await checkBindings(spec.resources, spec.operations, sources);
  } catch (err) {
    assert.ok(err instanceof SpecError, String(err));
    assert.match(err.message, /^invalid OpenAPI document:\n {2}- /);
    return err.problems;
  }
  assert.fail('the contract was accepted');
}

describe('contract checks at start-up', () => {
  it('when the shipped ERP contract is checked against the seeded database, then it passes and keys and views are filled in', async () => {
    const spec = await loadSpec(structuredClone(erp));
    await checkBindings(spec.resources, spec.operations, sources);
    const byName = new Map(spec.resources.map((r) => [r.name, r]));
    assert.equal(byName.get('customer-balances')!.isView, true);
    assert.equal(byName.get('customers')!.isView, false);
    assert.deepEqual(byName.get('order-lines')!.key, ['orderNo', 'lineNo']);
  });

  it('when a binding names a missing table, then start-up names it and the closest table', async () => {
    const problems = await startupProblems(variant((d) => rebind(d, 'customers', { table: 'CUST_MASTR' })));
    assert.deepEqual(problems, ['resource "customers" (/customers): table or view "public.CUST_MASTR" does not exist (did you mean "CUST_MSTR"?)']);
  });

  it('when a binding names a schema that does not exist, then start-up says so', async () => {
    const problems = await startupProblems(variant((d) => rebind(d, 'items', { table: 'sales.ITEM_MSTR' })));
    assert.deepEqual(problems, ['resource "items" (/items): table or view "sales.ITEM_MSTR" does not exist (schema "sales" does not exist)']);
  });

  it('when a property maps to a missing column, then start-up names the property, the column and the closest column', async () => {
    const problems = await startupProblems(
      variant((d) => {
        d.components.schemas.Customer.properties.creditLimit['x-gatehouse-column'] = 'Credit_Limit';
      }),
    );
    assert.deepEqual(problems, [
      'resource "customers" (/customers): property "creditLimit" maps to column "Credit_Limit", which CUST_MSTR does not have (did you mean "Credit Limit"?)',
    ]);
  });

  it('when a binding names a source that is not configured, then start-up names it and the closest source', async () => {
    const problems = await startupProblems(variant((d) => rebind(d, 'items', { source: 'epr' })));
    assert.deepEqual(problems, ['x-gatehouse.source: "epr" is not a configured source (did you mean "erp"?)']);
  });

  it('when a view is declared with write operations, then start-up refuses each of them', async () => {
    const problems = await startupProblems(
      variant((d) => {
        d.paths['/customer-balances'].post = { operationId: 'createBalance', responses: { '201': { description: 'x' } } };
        d.paths['/customer-balances/{customerId}'].delete = { operationId: 'deleteBalance', responses: { '204': { description: 'x' } } };
      }),
    );
    assert.deepEqual(problems, [
      'resource "customer-balances" (/customer-balances): POST /customer-balances writes to a view; views are read-only unless the binding sets writable: true',
      'resource "customer-balances" (/customer-balances): DELETE /customer-balances/{customerId} writes to a view; views are read-only unless the binding sets writable: true',
    ]);
  });

  it('when a view’s binding says writable: true, then its write operations are accepted', async () => {
    const doc = variant((d) => {
      rebind(d, 'customer-balances', { writable: true });
      d.paths['/customer-balances/{customerId}'].patch = { operationId: 'patchBalance', responses: { '204': { description: 'x' } } };
    });
    const spec = await loadSpec(doc);
    await checkBindings(spec.resources, spec.operations, sources);
  });

  it('when a table without a primary key has no key in its binding, then start-up asks for one', async () => {
    const problems = await startupProblems(
      variant((d) => {
        for (const path of ['/customer-notes', '/customer-notes/{noteId}']) delete d.paths[path]['x-gatehouse'].key;
      }),
    );
    assert.ok(problems.includes('resource "customer-notes" (/customer-notes): CUST_NOTE has no primary key; name the identifying properties in x-gatehouse.key'), problems.join('\n'));
  });

  it('when several bindings are wrong, then every problem is reported at once', async () => {
    const problems = await startupProblems(
      variant((d) => {
        rebind(d, 'customers', { table: 'CUSTOMERS' });
        rebind(d, 'orders', { table: 'ORD_HDRS' });
        d.components.schemas.Item.properties.unitCost['x-gatehouse-column'] = 'UNIT_CST';
      }),
    );
    assert.equal(problems.length, 3, problems.join('\n'));
  });

  it('when the binding itself is malformed, then the document check names the key with a did-you-mean', async () => {
    const problems = await startupProblems(
      variant((d) => {
        d.paths['/items']['x-gatehouse'] = { source: 'erp', tabel: 'ITEM_MSTR', key: ['code'] };
        rebind(d, 'orders', { key: ['ordreNo'] });
        rebind(d, 'customers', { model: 'Custmer' });
      }),
    );
    for (const expected of [
      'paths./items.x-gatehouse.tabel: unknown key (did you mean "table"?)',
      'paths./items.x-gatehouse.table: is required',
      'paths./orders.x-gatehouse.key: "ordreNo" is not a property of the entity (did you mean "orderNo"?)',
      'x-gatehouse.model: "Custmer" is not under components.schemas (did you mean "Customer"?)',
    ]) {
      assert.ok(problems.includes(expected), `missing "${expected}" in:\n${problems.join('\n')}`);
    }
  });

  it('when mutableKey names a property outside the key, or a read-only key, then the document check says so', async () => {
    const problems = await startupProblems(
      variant((d) => {
        rebind(d, 'order-lines', { mutableKey: ['lineNoo'] });
        rebind(d, 'customers', { mutableKey: ['id'] });
        rebind(d, 'items', { mutableKey: 'code' });
      }),
    );
    for (const expected of [
      'paths./order-lines.x-gatehouse.mutableKey: "lineNoo" is not in the binding\'s key (did you mean "lineNo"?)',
      'paths./customers.x-gatehouse.mutableKey: "id" is readOnly in the entity schema, so it cannot be changed',
      'paths./items.x-gatehouse.mutableKey: must be a list of key property names',
    ]) {
      assert.ok(problems.includes(expected), `missing "${expected}" in:\n${problems.join('\n')}`);
    }
  });

  it('when an item path has fewer parameters than the key, then the document check says so', async () => {
    const problems = await startupProblems(variant((d) => rebind(d, 'order-lines', { key: ['orderNo', 'lineNo', 'itemCode'] })));
    assert.ok(problems.some((p) => p.includes('/order-lines/{orderNo}/{lineNo}') && /2 path parameter/.test(p)), problems.join('\n'));
  });

  it('when the gateway starts with a broken contract, then createGateway rejects with the SpecError naming the missing table', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-spec-'));
    const file = path.join(dir, 'broken.yaml');
    try {
      await writeFile(file, YAML.stringify(variant((d) => rebind(d, 'items', { table: 'ITEMS' }))));
      // An empty database; the runner's PostgreSQL when there is one, since a second PGlite costs seconds to start.
      const pg = testPostgres();
      const source = 'skip' in pg ? { client: 'pglite', connection: 'memory://' } : { client: 'pg', connection: await freshDatabase('spec') };
      const config = loadConfig({ raw: { spec: file, sources: { erp: source } }, env: {} });
      await assert.rejects(createGateway(config, createLogger({ level: 'error', silent: true })), (err: unknown) => {
        assert.ok(err instanceof SpecError);
        // A fresh, empty database: the table is simply not there.
        assert.match(err.message, /table or view "public\.ITEMS" does not exist/);
        return true;
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
