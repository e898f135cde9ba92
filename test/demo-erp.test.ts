// Tests the demo ERP seed on in-memory PGlite, and that openapi/erp.yaml is valid and bound to its real columns.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { compileErrors, validate } from '@readme/openapi-parser';
import knex, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { parse } from 'yaml';
import { seedErp, type ErpTable, type SeedSummary } from '../src/demo/erp-schema.js';

const SPEC_URL = new URL('../openapi/erp.yaml', import.meta.url);
const TABLES: readonly ErpTable[] = ['CUST_MSTR', 'ITEM_MSTR', 'ORD_HDR', 'ORD_LINE', 'CUST_NOTE'];

// Just the parts of the document these tests read.
interface Binding {
  readonly source: string;
  readonly table: string;
  readonly key: readonly string[];
}
interface PropertySchema {
  readonly type?: string | readonly string[];
  readonly readOnly?: boolean;
  readonly 'x-gatehouse-column'?: string;
}
interface EntitySchema {
  readonly properties: Readonly<Record<string, PropertySchema>>;
  readonly required?: readonly string[];
}
interface OpenApiDoc {
  readonly paths: Readonly<Record<string, Readonly<Record<string, unknown>> & { 'x-gatehouse'?: Binding }>>;
  readonly components: { readonly schemas: Readonly<Record<string, EntitySchema>> };
}

interface CatalogColumn {
  readonly table_name: string;
  readonly column_name: string;
  readonly is_nullable: 'YES' | 'NO';
  readonly column_default: string | null;
  readonly is_identity: 'YES' | 'NO';
}

async function query<T>(db: Knex, sql: string, bindings: readonly Knex.Value[] = []): Promise<T[]> {
  const result = await db.raw<{ rows: T[] }>(sql, bindings);
  return result.rows;
}

async function rowCount(db: Knex, table: string): Promise<number> {
  const [row] = await query<{ n: unknown }>(db, `SELECT count(*) AS n FROM "public"."${table}"`);
  // PGlite returns bigint as a number, node-postgres as a string.
  return Number(row?.n);
}

async function primaryKeyColumns(db: Knex, table: string): Promise<string[]> {
  const rows = await query<{ attname: string }>(
    db,
    `SELECT a.attname
       FROM pg_index i
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
      WHERE i.indrelid = format('%I.%I', 'public', ?::text)::regclass AND i.indisprimary
      ORDER BY array_position(i.indkey::int2[], a.attnum)`,
    [table],
  );
  return rows.map((r) => r.attname);
}

/** One hash per table over every row's text form: equal fingerprints mean identical data. */
async function fingerprint(db: Knex): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const table of TABLES) {
    const [row] = await query<{ md5: string }>(
      db,
      `SELECT md5(string_agg(t::text, E'\\n' ORDER BY t::text)) AS md5 FROM "public"."${table}" t`,
    );
    result[table] = row?.md5 ?? '';
  }
  return result;
}

async function loadSpec(): Promise<{ raw: unknown; doc: OpenApiDoc }> {
  const raw: unknown = parse(await readFile(SPEC_URL, 'utf8'));
  return { raw, doc: raw as OpenApiDoc };
}

/** Entity schema name → binding, from the schemas each bound path item references. */
function entityBindings(doc: OpenApiDoc): Map<string, Binding> {
  const bound = new Map<string, Binding>();
  for (const [path, item] of Object.entries(doc.paths)) {
    const binding = item['x-gatehouse'];
    assert.ok(binding, `${path} has no x-gatehouse binding`);
    for (const ref of JSON.stringify(item).matchAll(/"#\/components\/schemas\/([^"]+)"/g)) {
      const name = ref[1]!;
      const previous = bound.get(name);
      assert.ok(!previous || previous.table === binding.table, `${name} is bound to two tables`);
      bound.set(name, binding);
    }
  }
  return bound;
}

const isNullable = (schema: PropertySchema): boolean =>
  Array.isArray(schema.type) ? schema.type.includes('null') : schema.type === 'null';

describe('demo ERP database', () => {
  let db: Knex;
  let summary: SeedSummary;
  let seedMs: number;

  before(async () => {
    db = knex({ client: ClientPgLite, dialect: 'postgres', connection: {} });
    await db.raw('SELECT 1'); // start PGlite outside the timed seed
    const started = performance.now();
    summary = await seedErp(db);
    seedMs = performance.now() - started;
  });

  after(async () => {
    await db.destroy();
  });

  describe('seedErp', () => {
    it('writes the expected row counts', async (t) => {
      t.diagnostic(`seeded in ${Math.round(seedMs)} ms: ${JSON.stringify(summary)}`);
      assert.equal(summary.CUST_MSTR, 500);
      assert.equal(summary.ITEM_MSTR, 200);
      assert.equal(summary.ORD_HDR, 1500);
      assert.equal(summary.CUST_NOTE, 800);
      assert.ok(summary.ORD_LINE >= 3500 && summary.ORD_LINE <= 4500, `ORD_LINE: ${summary.ORD_LINE}`);
      for (const table of TABLES) assert.equal(await rowCount(db, table), summary[table], table);
    });

    it('keeps every order total equal to the sum of its lines', async () => {
      const [row] = await query<{ n: unknown }>(
        db,
        `SELECT count(*) AS n
           FROM "public"."ORD_HDR" h
          WHERE h."TOTAL_AMT" <> coalesce(
                  (SELECT sum(l."QTY" * l."UNIT_PRICE") FROM "public"."ORD_LINE" l WHERE l."ORD_NO" = h."ORD_NO"), 0)`,
      );
      assert.equal(Number(row?.n), 0);
    });

    it('gives ORD_LINE the composite primary key (ORD_NO, LINE_NO)', async () => {
      assert.deepEqual(await primaryKeyColumns(db, 'ORD_LINE'), ['ORD_NO', 'LINE_NO']);
    });

    it('leaves CUST_NOTE without a primary key or unique constraint', async () => {
      assert.deepEqual(await primaryKeyColumns(db, 'CUST_NOTE'), []);
      const constraints = await query<{ constraint_type: string }>(
        db,
        `SELECT constraint_type FROM information_schema.table_constraints
          WHERE table_schema = 'public' AND table_name = 'CUST_NOTE' AND constraint_type IN ('PRIMARY KEY', 'UNIQUE')`,
      );
      assert.deepEqual(constraints, []);
    });

    it('serves one balance per customer from V_CUST_BALANCE', async () => {
      const [view] = await query<{ customers: unknown; orders: unknown; open: string }>(
        db,
        `SELECT count(*) AS customers, sum("ORDER_COUNT") AS orders, sum("OPEN_AMT")::text AS open
           FROM "public"."V_CUST_BALANCE"`,
      );
      const [direct] = await query<{ open: string }>(
        db,
        `SELECT sum("TOTAL_AMT")::text AS open FROM "public"."ORD_HDR" WHERE "STATUS" IN ('OPEN', 'SHIPPED')`,
      );
      assert.equal(Number(view?.customers), summary.CUST_MSTR);
      assert.equal(Number(view?.orders), summary.ORD_HDR);
      assert.equal(view?.open, direct?.open);
    });

    it('creates the legacy identifiers verbatim', async () => {
      const columns = await query<{ table_name: string; column_name: string }>(
        db,
        `SELECT table_name, column_name FROM information_schema.columns
          WHERE table_schema = 'public' AND column_name IN ('Credit Limit', 'Straße', 'ORDER')
          ORDER BY column_name`,
      );
      assert.deepEqual(columns, [
        { table_name: 'CUST_MSTR', column_name: 'Credit Limit' },
        { table_name: 'ITEM_MSTR', column_name: 'ORDER' },
        { table_name: 'CUST_MSTR', column_name: 'Straße' },
      ]);
      const customer = await db
        .withSchema('public')
        .from('CUST_MSTR')
        .select('Credit Limit', 'Straße')
        .whereNotNull('Straße')
        .whereNotNull('Credit Limit')
        .first();
      assert.match(String(customer?.['Credit Limit']), /^\d+\.\d{2}$/);
      assert.equal(typeof customer?.['Straße'], 'string');
    });

    it('continues the identity sequences after the seeded keys', async () => {
      // Rolled back, so the re-seed comparison below still sees the seeded data.
      await db
        .transaction(async (trx) => {
          const [customer] = await trx.withSchema('public').table('CUST_MSTR')
            .insert({ CUST_NAME: 'New Customer', REGION: 'EMEA' }, ['CUST_ID']);
          assert.equal(customer?.CUST_ID, summary.CUST_MSTR + 1);
          const [order] = await trx.withSchema('public').table('ORD_HDR')
            .insert({ CUST_ID: customer?.CUST_ID, ORD_DT: '2025-12-31', STATUS: 'OPEN' }, ['ORD_NO', 'TOTAL_AMT']);
          assert.equal(order?.ORD_NO, 10001 + summary.ORD_HDR);
          assert.equal(order?.TOTAL_AMT, '0.00');
          throw new Error('rollback');
        })
        .catch((error: unknown) => {
          if (!(error instanceof Error && error.message === 'rollback')) throw error;
        });
    });

    it('re-seeds to identical data', async () => {
      const first = await fingerprint(db);
      const again = await seedErp(db);
      assert.deepEqual(again, summary);
      assert.deepEqual(await fingerprint(db), first);
    });
  });

  describe('openapi/erp.yaml', () => {
    it('is a valid OpenAPI 3.1 document', async () => {
      const { raw, doc } = await loadSpec();
      assert.equal((doc as unknown as { openapi: string }).openapi, '3.1.0');
      // validate() dereferences in place; give it a copy.
      const result = await validate(structuredClone(raw) as Parameters<typeof validate>[0]);
      assert.ok(result.valid, result.valid ? '' : compileErrors(result));
    });

    it('binds every entity property to a column of the seeded database', async () => {
      const { doc } = await loadSpec();
      const columns = await query<Pick<CatalogColumn, 'table_name' | 'column_name'>>(
        db,
        `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'`,
      );
      const existing = new Set(columns.map((c) => `${c.table_name}.${c.column_name}`));
      const bindings = entityBindings(doc);
      const entities = Object.keys(doc.components.schemas).filter((name) => name !== 'Problem');
      assert.deepEqual([...bindings.keys()].sort(), entities.sort());

      for (const [name, binding] of bindings) {
        assert.equal(binding.source, 'erp');
        for (const [property, schema] of Object.entries(doc.components.schemas[name]!.properties)) {
          const column = schema['x-gatehouse-column'];
          assert.ok(column, `${name}.${property} has no x-gatehouse-column`);
          assert.ok(existing.has(`${binding.table}.${column}`), `${name}.${property}: no column ${binding.table}."${column}"`);
        }
      }
    });

    it('agrees with the catalog on nullability, required properties and identity columns', async () => {
      const { doc } = await loadSpec();
      const columns = await query<CatalogColumn>(
        db,
        `SELECT c.table_name, c.column_name, c.is_nullable, c.column_default, c.is_identity
           FROM information_schema.columns c
           JOIN information_schema.tables t USING (table_schema, table_name)
          WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'`,
      );
      const catalog = new Map(columns.map((c) => [`${c.table_name}.${c.column_name}`, c]));

      // Views are skipped: the catalog reports every view column as nullable.
      for (const [name, binding] of entityBindings(doc)) {
        if (binding.table.startsWith('V_')) continue;
        const entity = doc.components.schemas[name]!;
        const expectedRequired: string[] = [];
        for (const [property, schema] of Object.entries(entity.properties)) {
          const column = catalog.get(`${binding.table}.${schema['x-gatehouse-column']}`);
          assert.ok(column, `${name}.${property}`);
          assert.equal(isNullable(schema), column.is_nullable === 'YES', `${name}.${property} nullability`);
          assert.equal(schema.readOnly === true, column.is_identity === 'YES', `${name}.${property} readOnly`);
          const mustSend = column.is_nullable === 'NO' && column.column_default === null && column.is_identity === 'NO';
          if (mustSend) expectedRequired.push(property);
        }
        assert.deepEqual([...(entity.required ?? [])].sort(), expectedRequired.sort(), `${name}.required`);
      }
    });

    it('keys each binding on its item path parameters, and on the primary key where there is one', async () => {
      const { doc } = await loadSpec();
      for (const [path, item] of Object.entries(doc.paths)) {
        if (!path.includes('{')) continue;
        const binding = item['x-gatehouse']!;
        const params = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
        assert.deepEqual(params, binding.key, path);

        const [entity] = [...entityBindings({ ...doc, paths: { [path]: item } }).keys()];
        const properties = doc.components.schemas[entity!]!.properties;
        const keyColumns = binding.key.map((k) => properties[k]?.['x-gatehouse-column']);
        assert.ok(keyColumns.every((c) => c !== undefined), `${path}: key names a missing property`);
        // Views and CUST_NOTE have no primary key; their keys are unique by convention only.
        const primaryKey = await primaryKeyColumns(db, binding.table);
        if (primaryKey.length > 0) assert.deepEqual(keyColumns, primaryKey, path);
      }
    });
  });
});
