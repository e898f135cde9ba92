// Expected SQL per plan for the PostgreSQL dialect (knex toSQL(), no connection), in the style of knex's own builder tests.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import knex, { type Knex } from 'knex';
import { createPostgresDialect } from '../src/db/dialects/postgres/index.js';
import { loadSpecFile } from '../src/openapi/load-spec.js';
import type { Resource } from '../src/openapi/resource.js';
import { allowEverything } from '../src/policy/decision.js';
import { buildCount, buildDelete, buildSelect, buildUpdate } from '../src/query/statements.js';
import { planDelete, planList, planRead, planUpdate } from '../src/query/plan.js';
import type { Filter, OrderTerm, ReadRequest } from '../src/query/types.js';
import { ERP_SPEC, projectRoot } from './support/gateway.js';

interface Expected {
  readonly pg: { readonly sql: string; readonly bindings: readonly unknown[] };
}

/** Compiles a builder for each dialect under test and compares SQL and bindings (one dialect so far). */
function testsql(qb: Knex.QueryBuilder, expected: Expected): void {
  const { sql, bindings } = qb.toSQL();
  assert.equal(sql, expected.pg.sql);
  assert.deepEqual(bindings, expected.pg.bindings);
}

const dialect = createPostgresDialect();
// A knex with no connection compiles SQL and never opens one.
const pg = knex({ client: 'pg' });
let erp: Map<string, Resource>;
let chinook: Map<string, Resource>;

before(async () => {
  erp = new Map((await loadSpecFile(ERP_SPEC)).resources.map((r) => [r.name, r]));
  chinook = new Map((await loadSpecFile(path.join(projectRoot, 'test', 'fixtures', 'chinook.yaml'))).resources.map((r) => [r.name, r]));
});
after(() => pg.destroy());

/** `after`: the values an opened cursor gave (the plan stage opens cursors; the planner takes their values). */
function list(resource: Resource, req: Partial<ReadRequest> & { after?: unknown[] }, count = false) {
  const { after, ...rest } = req;
  const full: ReadRequest = { select: undefined, filters: [], order: [], limit: 10, offset: undefined, cursor: after ? 'opened' : undefined, ...rest };
  return planList(resource, full, allowEverything(resource), count, after).plan;
}

const f = (column: string, op: Exclude<Filter['op'], 'in' | 'is' | 'inSubquery'>, value: string | number | boolean, negate = false): Filter => ({ column, op, value, negate });

describe('PostgreSQL SQL for list plans', () => {
  it('select with an eq filter: quoted identifiers, the key as tie-breaker, limit one more than the page', () => {
    testsql(buildSelect(pg, dialect, list(erp.get('customers')!, { select: ['id', 'name'], filters: [f('region', 'eq', 'EMEA')] })), {
      pg: {
        sql: 'select "CUST_ID", "CUST_NAME" from "CUST_MSTR" where "REGION" = ? order by "CUST_ID" asc nulls last limit ?',
        bindings: ['EMEA', 11],
      },
    });
  });

  it('every comparison operator, and not. as a wrapping NOT', () => {
    const filters = [f('id', 'gt', 1), f('id', 'lte', 9), f('creditLimit', 'lt', '5.00'), f('creditLimit', 'gte', '1.00'), f('name', 'neq', 'x'), f('status', 'eq', 'A', true)];
    testsql(buildSelect(pg, dialect, list(erp.get('customers')!, { select: ['id'], filters })), {
      pg: {
        sql:
          'select "CUST_ID" from "CUST_MSTR" where "CUST_ID" > ? and "CUST_ID" <= ? and "Credit Limit" < ? and "Credit Limit" >= ? ' +
          'and "CUST_NAME" <> ? and not ("STATUS_CD" = ?) order by "CUST_ID" asc nulls last limit ?',
        bindings: [1, 9, '5.00', '1.00', 'x', 'A', 11],
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
    testsql(buildSelect(pg, dialect, list(erp.get('customers')!, { select: ['id'], filters })), {
      pg: {
        sql:
          'select "CUST_ID" from "CUST_MSTR" where "CUST_ID" in (?, ?, ?) and not ("CUST_ID" in (?)) and "Straße" is null ' +
          'and "EMAIL_ADDR" is not null and "CUST_NAME" like ? and not ("CUST_NAME" ilike ?) order by "CUST_ID" asc nulls last limit ?',
        bindings: [1, 2, 3, 4, 'Jo%', '%müller%', 11],
      },
    });
    testsql(
      buildSelect(pg, dialect, list(erp.get('items')!, { select: ['code'], filters: [{ column: 'code', op: 'in', values: [], negate: false }, { column: 'discontinued', op: 'is', value: 'true', negate: false }] })),
      {
        pg: {
          sql: 'select "ITEM_CD" from "ITEM_MSTR" where 1 = 0 and "DISCONTINUED" = ? order by "ITEM_CD" asc nulls last limit ?',
          bindings: [true, 11],
        },
      },
    );
  });

  it('order with explicit and default nulls placement, and offset', () => {
    const order: OrderTerm[] = [
      { column: 'displayOrder', direction: 'desc', nulls: undefined },
      { column: 'unitCost', direction: 'asc', nulls: 'first' },
    ];
    testsql(buildSelect(pg, dialect, list(erp.get('items')!, { select: ['code'], order, limit: 5, offset: 40 })), {
      pg: {
        sql:
          'select "ITEM_CD", "ORDER", "UNIT_COST" from "ITEM_MSTR" ' +
          'order by "ORDER" desc nulls first, "UNIT_COST" asc nulls first, "ITEM_CD" asc nulls last limit ? offset ?',
        bindings: [6, 40],
      },
    });
  });

  it('keyset after a non-null value on a desc, nulls-first column: smaller values, or equal and a later key', () => {
    const order: OrderTerm[] = [
      { column: 'creditLimit', direction: 'desc', nulls: undefined },
      { column: 'id', direction: 'asc', nulls: undefined },
    ];
    const after = ['100.00', 7];
    testsql(buildSelect(pg, dialect, list(erp.get('customers')!, { select: ['id'], order: order.slice(0, 1), after })), {
      pg: {
        sql:
          'select "CUST_ID", "Credit Limit" from "CUST_MSTR" ' +
          'where ((("Credit Limit" < ?)) or ("Credit Limit" = ? and "CUST_ID" > ?)) ' +
          'order by "Credit Limit" desc nulls first, "CUST_ID" asc nulls last limit ?',
        bindings: ['100.00', '100.00', 7, 11],
      },
    });
  });

  it('keyset after a value on a nullable, nulls-last column: larger values or a null, or equal and a later key (the key is not null)', () => {
    const order: OrderTerm[] = [
      { column: 'creditLimit', direction: 'asc', nulls: undefined },
      { column: 'id', direction: 'asc', nulls: undefined },
    ];
    const after = ['100.00', 7];
    testsql(buildSelect(pg, dialect, list(erp.get('customers')!, { select: ['id'], order: order.slice(0, 1), after })), {
      pg: {
        sql:
          'select "CUST_ID", "Credit Limit" from "CUST_MSTR" ' +
          'where ((("Credit Limit" > ? or "Credit Limit" is null)) or ("Credit Limit" = ? and "CUST_ID" > ?)) ' +
          'order by "Credit Limit" asc nulls last, "CUST_ID" asc nulls last limit ?',
        bindings: ['100.00', '100.00', 7, 11],
      },
    });
  });

  it('keyset after a null on a nulls-first column: every non-null row, or a null with a later key', () => {
    const order: OrderTerm[] = [
      { column: 'creditLimit', direction: 'desc', nulls: undefined },
      { column: 'id', direction: 'asc', nulls: undefined },
    ];
    const after = [null, 7];
    testsql(buildSelect(pg, dialect, list(erp.get('customers')!, { select: ['id'], order: order.slice(0, 1), after })), {
      pg: {
        sql:
          'select "CUST_ID", "Credit Limit" from "CUST_MSTR" ' +
          'where (("Credit Limit" is not null) or ("Credit Limit" is null and "CUST_ID" > ?)) ' +
          'order by "Credit Limit" desc nulls first, "CUST_ID" asc nulls last limit ?',
        bindings: [7, 11],
      },
    });
  });

  it('keyset after a null on a nulls-last column: only later keys among the nulls', () => {
    const order: OrderTerm[] = [
      { column: 'displayOrder', direction: 'asc', nulls: 'last' },
      { column: 'code', direction: 'asc', nulls: undefined },
    ];
    const after = [null, 'PAC-00003'];
    testsql(buildSelect(pg, dialect, list(erp.get('items')!, { select: ['code'], order: order.slice(0, 1), after, filters: [f('discontinued', 'eq', false)] })), {
      pg: {
        sql:
          'select "ITEM_CD", "ORDER" from "ITEM_MSTR" where "DISCONTINUED" = ? ' +
          'and (("ORDER" is null and "ITEM_CD" > ?)) ' +
          'order by "ORDER" asc nulls last, "ITEM_CD" asc nulls last limit ?',
        bindings: [false, 'PAC-00003', 11],
      },
    });
  });

  it('keyset on a composite key (orderNo, lineNo: the order the key alone gives)', () => {
    const after = [10001, 3];
    testsql(buildSelect(pg, dialect, list(erp.get('order-lines')!, { select: ['quantity'], after })), {
      pg: {
        sql:
          'select "QTY", "ORD_NO", "LINE_NO" from "ORD_LINE" ' +
          'where (("ORD_NO" > ?) or ("ORD_NO" = ? and "LINE_NO" > ?)) ' +
          'order by "ORD_NO" asc nulls last, "LINE_NO" asc nulls last limit ?',
        bindings: [10001, 10001, 3, 11],
      },
    });
  });

  it('count=exact: the same filters, no order, keyset or page', () => {
    testsql(buildCount(pg, dialect, list(erp.get('customers')!, { filters: [f('region', 'eq', 'APAC')], order: [{ column: 'name', direction: 'asc', nulls: undefined }] }, true)), {
      pg: { sql: 'select count(*) as "n" from "CUST_MSTR" where "REGION" = ?', bindings: ['APAC'] },
    });
  });

  it('a schema-qualified binding, and a read by key', () => {
    const artist = chinook.get('artists')!;
    // The binding leaves the key to the primary key, which the start-up binding check would fill in.
    artist.key = ['artistId'];
    testsql(buildSelect(pg, dialect, planRead(artist, [5], ['name'], allowEverything(artist))), {
      pg: { sql: 'select "name" from "public"."artist" where "artist_id" = ? limit ?', bindings: [5, 2] },
    });
  });
});

describe('PostgreSQL SQL for write plans', () => {
  it('collection update: SET from the body, filters, RETURNING the requested columns', () => {
    const items = erp.get('items')!;
    testsql(buildUpdate(pg, dialect, planUpdate(items, { discontinued: true, displayOrder: null }, [f('code', 'like', 'PAC-%')], allowEverything(items), ['code'], 5)), {
      pg: {
        sql: 'update "ITEM_MSTR" set "DISCONTINUED" = ?, "ORDER" = ? where "ITEM_CD" like ? returning "ITEM_CD"',
        bindings: [true, null, 'PAC-%'],
      },
    });
  });

  it('delete by composite key, returning the key', () => {
    const lines = erp.get('order-lines')!;
    const filters: Filter[] = [f('orderNo', 'eq', 10001), f('lineNo', 'eq', 2)];
    testsql(buildDelete(pg, dialect, planDelete(lines, filters, allowEverything(lines), ['orderNo', 'lineNo'], 1)), {
      pg: {
        sql: 'delete from "ORD_LINE" where "ORD_NO" = ? and "LINE_NO" = ? returning "ORD_NO", "LINE_NO"',
        bindings: [10001, 2],
      },
    });
  });

  it('identifiers holding quotes are escaped, never spliced', () => {
    const resource = erp.get('customers')!;
    // A filter value that looks like SQL is a binding, whatever it says.
    testsql(buildSelect(pg, dialect, list(resource, { select: ['id'], filters: [f('name', 'eq', `x' OR '1'='1`)] })), {
      pg: {
        sql: 'select "CUST_ID" from "CUST_MSTR" where "CUST_NAME" = ? order by "CUST_ID" asc nulls last limit ?',
        bindings: [`x' OR '1'='1`, 11],
      },
    });
    const qb = pg.from('we"ird').select('col"umn');
    assert.equal(qb.toSQL().sql, 'select "col""umn" from "we""ird"');
  });
});
