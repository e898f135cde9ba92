// Inputs that used to end in 500: each now gets a problem with a code that says what is wrong, on PGlite and on
// PostgreSQL alike, and the data is left as it was.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';
import { translatePostgresError } from '../src/db/dialects/postgres/errors.js';
import { seedErp } from '../src/demo/erp-schema.js';
import { assertProblem, backends, count, startTestGateway, type TestGateway } from './support/gateway.js';

/** A contract for one materialized view, created WITH NO DATA (never populated). */
const VIEW_SPEC = {
  openapi: '3.1.0',
  info: { title: 'region totals', version: '1' },
  paths: {
    '/region-totals': {
      'x-gatehouse': { source: 'erp', table: 'MV_REGION_TOTALS', key: ['region'] },
      get: {
        operationId: 'listRegionTotals',
        responses: {
          '200': {
            description: 'totals',
            content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/RegionTotal' } } } },
          },
        },
      },
    },
  },
  components: {
    schemas: {
      RegionTotal: {
        type: 'object',
        properties: { region: { type: 'string' }, customers: { type: 'integer' } },
      },
    },
  },
};

for (const backend of backends()) {
  describe(`inputs that used to fail with 500, on ${backend.name}`, { skip: backend.skip }, () => {
    let t: TestGateway;

    before(async () => {
      t = await startTestGateway({ source: await backend.source('reliability_bad'), seed: (db) => seedErp(db) });
    });
    after(() => t?.close());

    it('when like or ilike is used on a string property stored as a number, date or timestamp, then 400 invalid_filter', async () => {
      for (const url of [
        '/order-lines?unitPrice=like.1*',
        '/order-lines?unitPrice=ilike.*5',
        '/orders?orderDate=like.2024*',
        '/orders?orderDate=not.ilike.2024*',
        '/customers?createdAt=like.2024*',
      ]) {
        const problem = assertProblem(await t.http.get(url), 400, 'invalid_filter');
        assert.match(String(problem.detail), /text/, url);
      }
      // Text columns still take them.
      assert.equal((await t.http.get('/customers?name=like.A*&limit=1')).status, 200);
    });

    const postgresOnly = backend.dialect === 'mssql' ? 'PostgreSQL error table (SQLSTATE 42883); SQL Server converts the operands instead' : undefined;
    it('when the database itself finds no operator for a filter on a column (a type the contract cannot tell), then the error table answers 400 type_mismatch', { skip: postgresOnly }, async () => {
      const err = await t.db.raw(`select 1 from "ORD_LINE" where "UNIT_PRICE" like ?`, ['1%']).then(
        () => undefined,
        (e: unknown) => e,
      );
      const translated = translatePostgresError(err);
      assert.deepEqual([translated?.status, translated?.code], [400, 'type_mismatch']);
    });

    it('when is.true or is.false is used on a column that is not boolean, then 400 invalid_filter and nothing is written', async () => {
      const snapshot = async (): Promise<string> => JSON.stringify(await t.db('ORD_HDR').select('*').orderBy('ORD_NO'));
      const before = await snapshot();
      assertProblem(await t.http.patch('/orders?orderDate=is.true').send({ status: 'OPEN' }), 400, 'invalid_filter');
      assertProblem(await t.http.get('/orders?orderDate=is.false'), 400, 'invalid_filter');
      assert.equal(await snapshot(), before);
      // is.null still applies to any column, and is.true to a boolean one.
      assert.equal((await t.http.get('/orders?orderDate=is.null')).status, 200);
      assert.equal((await t.http.get('/items?discontinued=is.true&limit=1')).status, 200);
    });

    it('when a key matches two rows of a table without a primary key, then GET by key answers 409 key_not_unique', async () => {
      const note = { noteId: 990001, customerId: 1, text: 'first', enteredBy: 'tester', enteredAt: '2024-05-01T10:00:00Z' };
      assert.equal((await t.http.post('/customer-notes').send(note)).status, 201);
      assert.equal((await t.http.get('/customer-notes/990001')).status, 200);
      assert.equal((await t.http.post('/customer-notes').send({ ...note, text: 'second' })).status, 201);
      assertProblem(await t.http.get('/customer-notes/990001'), 409, 'key_not_unique');
      // PUT on the same key is refused alike, and changes neither row.
      assertProblem(await t.http.put('/customer-notes/990001').send({ ...note, text: 'third' }), 409, 'key_not_unique');
      assert.equal(await count(t.db, `"CUST_NOTE" where "NOTE_ID" = 990001 and "NOTE_TXT" in ('first', 'second')`), 2);
    });
  });

  // SQL Server has no materialized views: an indexed view is maintained with its tables, so never unpopulated.
  const noMaterializedViews = backend.dialect === 'mssql' ? 'SQL Server has no materialized views (an indexed view is always populated)' : undefined;
  describe(`a materialized view that was never populated, on ${backend.name}`, { skip: backend.skip ?? noMaterializedViews }, () => {
    let t: TestGateway;
    let dir: string;

    before(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-view-'));
      const spec = path.join(dir, 'view.yaml');
      await writeFile(spec, YAML.stringify(VIEW_SPEC));
      t = await startTestGateway({
        source: await backend.source('reliability_view'),
        spec,
        seed: async (db) => {
          await seedErp(db);
          await db.raw(
            `create materialized view "MV_REGION_TOTALS" as select "REGION" as region, count(*)::int as customers from "CUST_MSTR" group by 1 with no data`,
          );
        },
      });
    });
    after(async () => {
      await t?.close();
      await rm(dir, { recursive: true, force: true });
    });

    it('when it is read, then 503 view_not_populated with Retry-After; once refreshed, 200', async () => {
      const res = await t.http.get('/region-totals');
      assertProblem(res, 503, 'view_not_populated');
      assert.ok(Number(res.headers['retry-after']) > 0);
      await t.db.raw('refresh materialized view "MV_REGION_TOTALS"');
      const ok = await t.http.get('/region-totals?order=region');
      assert.equal(ok.status, 200);
      assert.ok((ok.body as unknown[]).length > 0);
    });
  });
}
