// Expected SQL per plan for each dialect (knex toSQL(), no connection), side by side in the style of knex's own builder
// tests: the same plan, its PostgreSQL and its SQL Server statement and bindings.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import knex, { type Knex } from 'knex';
import { createMssqlDialect } from '../src/db/dialects/mssql/index.js';
import { createPostgresDialect } from '../src/db/dialects/postgres/index.js';
import type { Dialect } from '../src/db/dialects/types.js';
import { loadSpecFile } from '../src/openapi/load-spec.js';
import type { Resource } from '../src/openapi/resource.js';
import { allowEverything } from '../src/policy/decision.js';
import { createStatementCache } from '../src/query/statement-cache.js';
import { buildCount, buildDelete, buildSelect, buildStatements, buildUpdate, selectSpec } from '../src/query/statements.js';
import { planCreate, planDelete, planList, planRead, planUpdate } from '../src/query/plan.js';
import type { Filter, OrderTerm, ReadRequest } from '../src/query/types.js';
import type { SourceConfig } from '../src/config/types.js';
import { ERP_SPEC, projectRoot } from './support/project.js';

interface Compiled {
  readonly sql: string;
  readonly bindings: readonly unknown[];
}

/** One plan's statement on each dialect (an upsert is several statements on SQL Server). */
interface Expected {
  readonly pg: Compiled | readonly Compiled[];
  readonly mssql: Compiled | readonly Compiled[];
}

type Build = (db: Knex, dialect: Dialect) => Knex.QueryBuilder | Knex.Raw | ReadonlyArray<Knex.QueryBuilder | Knex.Raw>;

const dialects = { pg: createPostgresDialect(), mssql: createMssqlDialect() };
// Knex instances with no connection compile SQL and never open one; SQL Server's is the dialect's own client.
const pg = knex({ client: 'pg' });
const mssql = knex({ ...dialects.mssql.knexConfig(sourceOf('mssql://u:p@127.0.0.1:1/none')), pool: { min: 0, max: 1 } });

function sourceOf(connection: string): SourceConfig {
  return { client: 'mssql', connection, pool: { min: 0, max: 1, acquireTimeoutMs: 1000 }, statementTimeoutMs: 1000, readOnly: false, defaultSchema: undefined };
}

/** Compiles the plan's statements for each dialect and compares SQL and bindings, knex style. */
function testsql(build: Build, expected: Expected): void {
  for (const [name, db] of [['pg', pg], ['mssql', mssql]] as const) {
    const built = build(db, dialects[name]);
    const statements = (Array.isArray(built) ? built : [built]) as Array<Knex.QueryBuilder | Knex.Raw>;
    const actual = statements.map((s) => {
      const { sql, bindings } = s.toSQL();
      return { sql, bindings };
    });
    const want = expected[name];
    assert.deepEqual(actual, Array.isArray(want) ? want : [want], `${name}:\n${JSON.stringify(actual, null, 1)}`);
  }
}
let erp: Map<string, Resource>;
let chinook: Map<string, Resource>;

before(async () => {
  erp = new Map((await loadSpecFile(ERP_SPEC)).resources.map((r) => [r.name, r]));
  chinook = new Map((await loadSpecFile(path.join(projectRoot, 'test', 'fixtures', 'chinook.yaml'))).resources.map((r) => [r.name, r]));
});
after(() => Promise.all([pg.destroy(), mssql.destroy()]));

/** `after`: the values an opened cursor gave (the plan stage opens cursors; the planner takes their values). */
function list(resource: Resource, req: Partial<ReadRequest> & { after?: unknown[] }, count = false) {
  const { after, ...rest } = req;
  const full: ReadRequest = { select: undefined, filters: [], order: [], limit: 10, offset: undefined, cursor: after ? 'opened' : undefined, ...rest };
  return planList(resource, full, allowEverything(resource), count, after).plan;
}

const f = (column: string, op: Exclude<Filter['op'], 'in' | 'is' | 'inSubquery'>, value: string | number | boolean, negate = false): Filter => ({ column, op, value, negate });

describe('SQL for list plans', () => {
  it('select with an eq filter: quoted identifiers, the key as tie-breaker, limit one more than the page', () => {
    testsql((db, d) => buildSelect(db, d, list(erp.get('customers')!, { select: ['id', 'name'], filters: [f('region', 'eq', 'EMEA')] })), {
      pg: {
        sql: 'select "CUST_ID", "CUST_NAME" from "CUST_MSTR" where "REGION" = ? order by "CUST_ID" asc nulls last limit ?',
        bindings: ['EMEA', 11],
      },
      mssql: {
        sql: 'select top (?) [CUST_ID], [CUST_NAME] from [CUST_MSTR] where [REGION] = ? order by [CUST_ID] asc',
        bindings: [11, 'EMEA'],
      },
    });
  });

  it('every comparison operator, and not. as a wrapping NOT', () => {
    const filters = [f('id', 'gt', 1), f('id', 'lte', 9), f('creditLimit', 'lt', '5.00'), f('creditLimit', 'gte', '1.00'), f('name', 'neq', 'x'), f('status', 'eq', 'A', true)];
    testsql((db, d) => buildSelect(db, d, list(erp.get('customers')!, { select: ['id'], filters })), {
      pg: {
        sql:
          'select "CUST_ID" from "CUST_MSTR" where "CUST_ID" > ? and "CUST_ID" <= ? and "Credit Limit" < ? and "Credit Limit" >= ? ' +
          'and "CUST_NAME" <> ? and not ("STATUS_CD" = ?) order by "CUST_ID" asc nulls last limit ?',
        bindings: [1, 9, '5.00', '1.00', 'x', 'A', 11],
      },
      mssql: {
        sql:
        'select top (?) [CUST_ID] from [CUST_MSTR] ' +
        'where [CUST_ID] > ? and [CUST_ID] <= ? and [Credit Limit] < ? and [Credit Limit] >= ? and [CUST_NAME] <> ? and not ([STATUS_CD] = ?) ' +
        'order by [CUST_ID] asc',
        bindings: [11, 1, 9, '5.00', '1.00', 'x', 'A'],
      },
    });
  });

  it('in, an empty in, is null / not null / true, like and a negated ilike', () => {
    const filters: Filter[] = [
      { column: 'id', op: 'in', values: [1, 2, 3], negate: false },
      { column: 'id', op: 'in', values: [4], negate: true },
      { column: 'street', op: 'is', value: 'null', negate: false },
      { column: 'email', op: 'is', value: 'not_null', negate: false },
      f('name', 'like', 'Jo%'),
      f('name', 'ilike', '%müller%', true),
    ];
    testsql((db, d) => buildSelect(db, d, list(erp.get('customers')!, { select: ['id'], filters })), {
      pg: {
        sql:
          'select "CUST_ID" from "CUST_MSTR" where "CUST_ID" in (?, ?, ?) and not ("CUST_ID" in (?)) and "Straße" is null ' +
          'and "EMAIL_ADDR" is not null and "CUST_NAME" like ? and not ("CUST_NAME" ilike ?) order by "CUST_ID" asc nulls last limit ?',
        bindings: [1, 2, 3, 4, 'Jo%', '%müller%', 11],
      },
      mssql: {
        sql:
        'select top (?) [CUST_ID] from [CUST_MSTR] ' +
        "where [CUST_ID] in (?, ?, ?) and not ([CUST_ID] in (?)) and [Straße] is null and [EMAIL_ADDR] is not null and [CUST_NAME] collate Latin1_General_CS_AS like replace(?, N'[', N'\\[') escape N'\\' and not ([CUST_NAME] collate Latin1_General_CI_AS like replace(?, N'[', N'\\[') escape N'\\') " +
        'order by [CUST_ID] asc',
        bindings: [11, 1, 2, 3, 4, 'Jo%', '%müller%'],
      },
    });
    testsql(
      (db, d) => buildSelect(db, d, list(erp.get('items')!, { select: ['code'], filters: [{ column: 'code', op: 'in', values: [], negate: false }, { column: 'discontinued', op: 'is', value: 'true', negate: false }] })),
      {
        pg: {
          sql: 'select "ITEM_CD" from "ITEM_MSTR" where 1 = 0 and "DISCONTINUED" = ? order by "ITEM_CD" asc nulls last limit ?',
          bindings: [true, 11],
        },
        mssql: {
          sql: 'select top (?) [ITEM_CD] from [ITEM_MSTR] where 1 = 0 and [DISCONTINUED] = ? order by [ITEM_CD] asc',
          bindings: [11, true],
        },
      },
    );
  });

  it('order with explicit and default nulls placement, and offset', () => {
    const order: OrderTerm[] = [
      { column: 'displayOrder', direction: 'desc', nulls: undefined },
      { column: 'unitCost', direction: 'asc', nulls: 'first' },
    ];
    testsql((db, d) => buildSelect(db, d, list(erp.get('items')!, { select: ['code'], order, limit: 5, offset: 40 })), {
      pg: {
        sql:
          'select "ITEM_CD", "ORDER", "UNIT_COST" from "ITEM_MSTR" ' +
          'order by "ORDER" desc nulls first, "UNIT_COST" asc nulls first, "ITEM_CD" asc nulls last limit ? offset ?',
        bindings: [6, 40],
      },
      mssql: {
        sql:
        'select [ITEM_CD], [ORDER], [UNIT_COST] from [ITEM_MSTR] ' +
        'order by case when [ORDER] is null then 0 else 1 end, [ORDER] desc, [UNIT_COST] asc, [ITEM_CD] asc ' +
        'offset ? rows fetch next ? rows only',
        bindings: [40, 6],
      },
    });
  });

  it('keyset after a non-null value on a desc, nulls-first column: smaller values, or equal and a later key', () => {
    const order: OrderTerm[] = [
      { column: 'creditLimit', direction: 'desc', nulls: undefined },
      { column: 'id', direction: 'asc', nulls: undefined },
    ];
    const after = ['100.00', 7];
    testsql((db, d) => buildSelect(db, d, list(erp.get('customers')!, { select: ['id'], order: order.slice(0, 1), after })), {
      pg: {
        sql:
          'select "CUST_ID", "Credit Limit" from "CUST_MSTR" ' +
          'where ((("Credit Limit" < ?)) or ("Credit Limit" = ? and "CUST_ID" > ?)) ' +
          'order by "Credit Limit" desc nulls first, "CUST_ID" asc nulls last limit ?',
        bindings: ['100.00', '100.00', 7, 11],
      },
      mssql: {
        sql:
        'select top (?) [CUST_ID], [Credit Limit] from [CUST_MSTR] ' +
        'where ((([Credit Limit] < ?)) or ([Credit Limit] = ? and [CUST_ID] > ?)) ' +
        'order by case when [Credit Limit] is null then 0 else 1 end, [Credit Limit] desc, [CUST_ID] asc',
        bindings: [11, '100.00', '100.00', 7],
      },
    });
  });

  it('keyset after a value on a nullable, nulls-last column: larger values or a null, or equal and a later key (the key is not null)', () => {
    const order: OrderTerm[] = [
      { column: 'creditLimit', direction: 'asc', nulls: undefined },
      { column: 'id', direction: 'asc', nulls: undefined },
    ];
    const after = ['100.00', 7];
    testsql((db, d) => buildSelect(db, d, list(erp.get('customers')!, { select: ['id'], order: order.slice(0, 1), after })), {
      pg: {
        sql:
          'select "CUST_ID", "Credit Limit" from "CUST_MSTR" ' +
          'where ((("Credit Limit" > ? or "Credit Limit" is null)) or ("Credit Limit" = ? and "CUST_ID" > ?)) ' +
          'order by "Credit Limit" asc nulls last, "CUST_ID" asc nulls last limit ?',
        bindings: ['100.00', '100.00', 7, 11],
      },
      mssql: {
        sql:
          'select top (?) [CUST_ID], [Credit Limit] from [CUST_MSTR] ' +
          'where ((([Credit Limit] > ? or [Credit Limit] is null)) or ([Credit Limit] = ? and [CUST_ID] > ?)) ' +
          'order by case when [Credit Limit] is null then 1 else 0 end, [Credit Limit] asc, [CUST_ID] asc',
        bindings: [11, '100.00', '100.00', 7],
      },
    });
  });

  it('keyset after a null on a nulls-first column: every non-null row, or a null with a later key', () => {
    const order: OrderTerm[] = [
      { column: 'creditLimit', direction: 'desc', nulls: undefined },
      { column: 'id', direction: 'asc', nulls: undefined },
    ];
    const after = [null, 7];
    testsql((db, d) => buildSelect(db, d, list(erp.get('customers')!, { select: ['id'], order: order.slice(0, 1), after })), {
      pg: {
        sql:
          'select "CUST_ID", "Credit Limit" from "CUST_MSTR" ' +
          'where (("Credit Limit" is not null) or ("Credit Limit" is null and "CUST_ID" > ?)) ' +
          'order by "Credit Limit" desc nulls first, "CUST_ID" asc nulls last limit ?',
        bindings: [7, 11],
      },
      mssql: {
        sql:
        'select top (?) [CUST_ID], [Credit Limit] from [CUST_MSTR] ' +
        'where (([Credit Limit] is not null) or ([Credit Limit] is null and [CUST_ID] > ?)) ' +
        'order by case when [Credit Limit] is null then 0 else 1 end, [Credit Limit] desc, [CUST_ID] asc',
        bindings: [11, 7],
      },
    });
  });

  it('keyset after a null on a nulls-last column: only later keys among the nulls', () => {
    const order: OrderTerm[] = [
      { column: 'displayOrder', direction: 'asc', nulls: 'last' },
      { column: 'code', direction: 'asc', nulls: undefined },
    ];
    const after = [null, 'PAC-00003'];
    testsql((db, d) => buildSelect(db, d, list(erp.get('items')!, { select: ['code'], order: order.slice(0, 1), after, filters: [f('discontinued', 'eq', false)] })), {
      pg: {
        sql:
          'select "ITEM_CD", "ORDER" from "ITEM_MSTR" where "DISCONTINUED" = ? ' +
          'and (("ORDER" is null and "ITEM_CD" > ?)) ' +
          'order by "ORDER" asc nulls last, "ITEM_CD" asc nulls last limit ?',
        bindings: [false, 'PAC-00003', 11],
      },
      mssql: {
        sql:
        'select top (?) [ITEM_CD], [ORDER] from [ITEM_MSTR] ' +
        'where [DISCONTINUED] = ? and (([ORDER] is null and [ITEM_CD] > ?)) ' +
        'order by case when [ORDER] is null then 1 else 0 end, [ORDER] asc, [ITEM_CD] asc',
        bindings: [11, false, 'PAC-00003'],
      },
    });
  });

  it('keyset on a composite key (orderNo, lineNo: the order the key alone gives)', () => {
    const after = [10001, 3];
    testsql((db, d) => buildSelect(db, d, list(erp.get('order-lines')!, { select: ['quantity'], after })), {
      pg: {
        sql:
          'select "QTY", "ORD_NO", "LINE_NO" from "ORD_LINE" ' +
          'where (("ORD_NO" > ?) or ("ORD_NO" = ? and "LINE_NO" > ?)) ' +
          'order by "ORD_NO" asc nulls last, "LINE_NO" asc nulls last limit ?',
        bindings: [10001, 10001, 3, 11],
      },
      mssql: {
        sql:
        'select top (?) [QTY], [ORD_NO], [LINE_NO] from [ORD_LINE] ' +
        'where (([ORD_NO] > ?) or ([ORD_NO] = ? and [LINE_NO] > ?)) ' +
        'order by [ORD_NO] asc, [LINE_NO] asc',
        bindings: [11, 10001, 10001, 3],
      },
    });
  });

  it('count=exact: the same filters, no order, keyset or page', () => {
    testsql((db, d) => buildCount(db, d, list(erp.get('customers')!, { filters: [f('region', 'eq', 'APAC')], order: [{ column: 'name', direction: 'asc', nulls: undefined }] }, true)), {
      pg: { sql: 'select count(*) as "n" from "CUST_MSTR" where "REGION" = ?', bindings: ['APAC'] },
      mssql: {
        sql: 'select count(*) as [n] from [CUST_MSTR] where [REGION] = ?',
        bindings: ['APAC'],
      },
    });
  });

  it('a schema-qualified binding, and a read by key', () => {
    const artist = chinook.get('artists')!;
    // The binding leaves the key to the primary key, which the start-up binding check would fill in.
    artist.key = ['artistId'];
    testsql((db, d) => buildSelect(db, d, planRead(artist, [5], ['name'], allowEverything(artist))), {
      pg: { sql: 'select "name" from "public"."artist" where "artist_id" = ? limit ?', bindings: [5, 2] },
      mssql: {
        sql: 'select top (?) [name] from [public].[artist] where [artist_id] = ?',
        bindings: [2, 5],
      },
    });
  });
});

describe('SQL for write plans', () => {
  it('collection update: SET from the body, filters, RETURNING the requested columns', () => {
    const items = erp.get('items')!;
    testsql((db, d) => buildUpdate(db, d, planUpdate(items, { discontinued: true, displayOrder: null }, [f('code', 'like', 'PAC-%')], allowEverything(items), ['code'], 5)), {
      pg: {
        sql: 'update "ITEM_MSTR" set "DISCONTINUED" = ?, "ORDER" = ? where "ITEM_CD" like ? returning "ITEM_CD"',
        bindings: [true, null, 'PAC-%'],
      },
      mssql: {
        sql:
        'update [ITEM_MSTR] set [DISCONTINUED] = ?, [ORDER] = ? output inserted.[ITEM_CD] as [ITEM_CD] ' +
        "where [ITEM_CD] collate Latin1_General_CS_AS like replace(?, N'[', N'\\[') escape N'\\'",
        bindings: [true, null, 'PAC-%'],
      },
    });
  });

  it('delete by composite key, returning the key', () => {
    const lines = erp.get('order-lines')!;
    const filters: Filter[] = [f('orderNo', 'eq', 10001), f('lineNo', 'eq', 2)];
    testsql((db, d) => buildDelete(db, d, planDelete(lines, filters, allowEverything(lines), ['orderNo', 'lineNo'], 1)), {
      pg: {
        sql: 'delete from "ORD_LINE" where "ORD_NO" = ? and "LINE_NO" = ? returning "ORD_NO", "LINE_NO"',
        bindings: [10001, 2],
      },
      mssql: {
        sql:
        'delete from [ORD_LINE] output deleted.[ORD_NO] as [ORD_NO], deleted.[LINE_NO] as [LINE_NO] ' +
        'where [ORD_NO] = ? and [LINE_NO] = ?',
        bindings: [10001, 2],
      },
    });
  });

  it('identifiers holding quotes are escaped, never spliced', () => {
    const resource = erp.get('customers')!;
    // A filter value that looks like SQL is a binding, whatever it says.
    testsql((db, d) => buildSelect(db, d, list(resource, { select: ['id'], filters: [f('name', 'eq', `x' OR '1'='1`)] })), {
      pg: {
        sql: 'select "CUST_ID" from "CUST_MSTR" where "CUST_NAME" = ? order by "CUST_ID" asc nulls last limit ?',
        bindings: [`x' OR '1'='1`, 11],
      },
      mssql: {
        sql: 'select top (?) [CUST_ID] from [CUST_MSTR] where [CUST_NAME] = ? order by [CUST_ID] asc',
        bindings: [11, "x' OR '1'='1"],
      },
    });
    const qb = pg.from('we"ird').select('col"umn');
    assert.equal(qb.toSQL().sql, 'select "col""umn" from "we""ird"');
    // knex's own SQL Server client drops brackets from names; the dialect doubles a closing one instead.
    assert.equal(mssql.from('we]ird [x]').select('col]umn').toSQL().sql, 'select [col]]umn] from [we]]ird [x]]]');
  });

  it('create: one INSERT returning the key (RETURNING vs OUTPUT)', () => {
    const items = erp.get('items')!;
    // The start-up binding check fills the key in from the primary key.
    items.key = ['code'];
    const plan = planCreate(items, [{ code: 'A-1', description: 'A', unitCost: '1.00' }], allowEverything(items), { resolution: undefined, returning: ['code'] });
    testsql((db, d) => buildStatements(db, d, plan).statements, {
      pg: { sql: 'insert into "ITEM_MSTR" ("DESCR", "ITEM_CD", "UNIT_COST") values (?, ?, ?) returning "ITEM_CD"', bindings: ['A', 'A-1', '1.00'] },
      mssql: {
        sql: 'insert into [ITEM_MSTR] ([DESCR], [ITEM_CD], [UNIT_COST]) output inserted.[ITEM_CD] as [ITEM_CD] values (?, ?, ?)',
        bindings: ['A', 'A-1', '1.00'],
      },
    });
  });

  it('upsert with merge-duplicates: ON CONFLICT DO UPDATE vs UPDATE then INSERT … WHERE NOT EXISTS under locks', () => {
    const items = erp.get('items')!;
    const rows = [
      { code: 'A-1', unitCost: '1.00' },
      { code: 'A-2', unitCost: '2.00' },
    ];
    const plan = planCreate(items, rows, allowEverything(items), { resolution: 'merge-duplicates', returning: ['code', 'unitCost'] });
    testsql((db, d) => buildStatements(db, d, plan).statements, {
      pg: {
        sql:
          'insert into "ITEM_MSTR" ("ITEM_CD", "UNIT_COST") values (?, ?), (?, ?) on conflict ("ITEM_CD") ' +
          'do update set "UNIT_COST" = excluded."UNIT_COST" returning "ITEM_CD", "UNIT_COST"',
        bindings: ['A-1', '1.00', 'A-2', '2.00'],
      },
      mssql: [
        {
          sql:
            'update [ITEM_MSTR] with (updlock, serializable) set [ITEM_MSTR].[UNIT_COST] = [v].[UNIT_COST] ' +
            'output inserted.[ITEM_CD] as [ITEM_CD], inserted.[UNIT_COST] as [UNIT_COST] ' +
            'from (values (?, ?), (?, ?)) as [v]([ITEM_CD], [UNIT_COST]) where [ITEM_MSTR].[ITEM_CD] = [v].[ITEM_CD]',
          bindings: ['A-1', '1.00', 'A-2', '2.00'],
        },
        {
          sql:
            'insert into [ITEM_MSTR] ([ITEM_CD], [UNIT_COST]) output inserted.[ITEM_CD] as [ITEM_CD], inserted.[UNIT_COST] as [UNIT_COST] ' +
            'select [v].[ITEM_CD], [v].[UNIT_COST] from (values (?, ?), (?, ?)) as [v]([ITEM_CD], [UNIT_COST]) ' +
            'where not exists (select 1 from [ITEM_MSTR] as [t] with (updlock, serializable) where [t].[ITEM_CD] = [v].[ITEM_CD])',
          bindings: ['A-1', '1.00', 'A-2', '2.00'],
        },
      ],
    });
    // The two statements must run in one transaction; PostgreSQL's one statement is atomic by itself.
    assert.equal(buildStatements(mssql, dialects.mssql, plan).atomic, true);
    assert.equal(buildStatements(pg, dialects.pg, plan).atomic, false);
  });

  it('upsert with ignore-duplicates: ON CONFLICT DO NOTHING vs one INSERT … WHERE NOT EXISTS', () => {
    const lines = chinook.get('playlist-tracks')!;
    lines.key = ['playlistId', 'trackId'];
    const plan = planCreate(lines, [{ playlistId: 1, trackId: 2 }], allowEverything(lines), { resolution: 'ignore-duplicates', returning: ['playlistId', 'trackId'] });
    testsql((db, d) => buildStatements(db, d, plan).statements, {
      pg: {
        sql: 'insert into "playlist_track" ("playlist_id", "track_id") values (?, ?) on conflict ("playlist_id", "track_id") do nothing returning "playlist_id", "track_id"',
        bindings: [1, 2],
      },
      mssql: {
        sql:
          'insert into [playlist_track] ([playlist_id], [track_id]) output inserted.[playlist_id] as [playlist_id], inserted.[track_id] as [track_id] ' +
          'select [v].[playlist_id], [v].[track_id] from (values (?, ?)) as [v]([playlist_id], [track_id]) ' +
          'where not exists (select 1 from [playlist_track] as [t] with (updlock, serializable) where [t].[playlist_id] = [v].[playlist_id] and [t].[track_id] = [v].[track_id])',
        bindings: [1, 2],
      },
    });
  });

  it('a table with triggers: SQL Server returns the rows through OUTPUT … INTO a temporary table', () => {
    const items = erp.get('items')!;
    const plan = planUpdate(items, { discontinued: true }, [f('code', 'eq', 'A-1')], allowEverything(items), ['code'], 1);
    const withTriggers = { ...plan, table: { ...plan.table, hasTriggers: true } };
    testsql((db, d) => buildUpdate(db, d, withTriggers), {
      pg: { sql: 'update "ITEM_MSTR" set "DISCONTINUED" = ? where "ITEM_CD" = ? returning "ITEM_CD"', bindings: [true, 'A-1'] },
      mssql: {
        sql:
          'select top(0) [t].[ITEM_CD] as [ITEM_CD] into #out from [ITEM_MSTR] as t left join [ITEM_MSTR] on 0=1;' +
          'update [ITEM_MSTR] set [DISCONTINUED] = ? output inserted.[ITEM_CD] as [ITEM_CD] into #out where [ITEM_CD] = ?; ' +
          'select [ITEM_CD] as [ITEM_CD] from #out; drop table #out;',
        bindings: [true, 'A-1'],
      },
    });
  });

  it('a bulk insert past SQL Server’s 2100 parameters: several INSERTs in one transaction', () => {
    const items = erp.get('items')!;
    const rows = Array.from({ length: 700 }, (_, i) => ({ code: `B-${i}`, description: 'B', unitCost: '1.00' }));
    const plan = planCreate(items, rows, allowEverything(items), { resolution: undefined, returning: [] });
    const pgGroup = buildStatements(pg, dialects.pg, plan);
    const group = buildStatements(mssql, dialects.mssql, plan);
    assert.equal(pgGroup.statements.length, 1);
    assert.deepEqual(
      group.statements.map((s) => s.toSQL().bindings.length),
      [666 * 3, 34 * 3],
    );
    assert.equal(group.atomic, true);
  });
});

describe('prepared statement shapes on SQL Server', () => {
  it('the statement cache maps @p placeholders back to each request’s values, limit included', () => {
    const cache = createStatementCache(mssql, dialects.mssql);
    const customers = erp.get('customers')!;
    const a = cache.bind(selectSpec(list(customers, { select: ['id'], filters: [f('region', 'eq', 'EMEA')] })));
    const b = cache.bind(selectSpec(list(customers, { select: ['id'], filters: [f('region', 'eq', 'APAC')], limit: 50 })));
    assert.equal(a.statements[0]!.text, 'select top (@p0) [CUST_ID] from [CUST_MSTR] where [REGION] = @p1 order by [CUST_ID] asc');
    assert.equal(b.statements[0]!.text, a.statements[0]!.text);
    assert.deepEqual(a.statements[0]!.values, [11, 'EMEA']);
    assert.deepEqual(b.statements[0]!.values, [51, 'APAC']);
  });
});
