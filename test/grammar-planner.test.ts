// The pure planner on its own: parsed requests and bodies → QueryPlans in database names, no database.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { AppError } from '../src/errors/app-error.js';
import { loadSpecFile } from '../src/openapi/load-spec.js';
import type { Resource } from '../src/openapi/resource.js';
import { allowEverything, type Decision } from '../src/policy/decision.js';
import { planCreate, planDelete, planList, planRead, planReplace, planUpdate, toApiRows } from '../src/query/plan.js';
import type { ReadRequest } from '../src/query/types.js';
import { ERP_SPEC } from './support/project.js';

let resources: Map<string, Resource>;
before(async () => {
  resources = new Map((await loadSpecFile(ERP_SPEC)).resources.map((r) => [r.name, r]));
});

const r = (name: string): Resource => resources.get(name)!;
const everything = (name: string): Decision => allowEverything(r(name));

function read(overrides: Partial<ReadRequest> = {}): ReadRequest {
  return { select: undefined, filters: [], order: [], limit: 10, offset: undefined, cursor: undefined, ...overrides };
}

/** Only these fields of a plan: other stages may add fields of their own without breaking these expectations. */
function pick<T extends object>(plan: T, keys: ReadonlyArray<keyof T>): Partial<T> {
  return Object.fromEntries(keys.map((k) => [k, plan[k]])) as Partial<T>;
}

function refusal(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof AppError, String(err));
    return err;
  }
  assert.fail('the planner accepted it');
}

describe('planning a list', () => {
  it('when the order does not end in the key, then the key is appended so pages have a total order', () => {
    const { plan, order, pageSize } = planList(
      r('customers'),
      read({ order: [{ column: 'creditLimit', direction: 'desc', nulls: 'last' }], select: ['name'] }),
      everything('customers'),
      false,
    );
    assert.deepEqual(order.map((t) => t.column), ['creditLimit', 'id']);
    assert.deepEqual(plan.order, [
      { column: 'Credit Limit', direction: 'desc', nulls: 'last', notNull: false },
      // The contract says the key is never null: no `or … is null` in a keyset, no NULL placement in ORDER BY.
      { column: 'CUST_ID', direction: 'asc', nulls: undefined, notNull: true },
    ]);
    // The order columns are fetched too: the next cursor is made from them.
    assert.deepEqual(plan.columns, ['CUST_NAME', 'Credit Limit', 'CUST_ID']);
    assert.equal(pageSize, 10);
    assert.equal(plan.limit, 11);
  });

  it('when the key is composite, then every key column is appended in key order', () => {
    const { order } = planList(r('order-lines'), read({ order: [{ column: 'lineNo', direction: 'desc', nulls: undefined }] }), everything('order-lines'), false);
    assert.deepEqual(order.map((t) => `${t.column}.${t.direction}`), ['lineNo.desc', 'orderNo.asc']);
  });

  it('when filters and row rules are given, then the rule comes first and both use database names', () => {
    const decision: Decision = {
      ...everything('customers'),
      rowFilters: [{ column: 'region', op: 'eq', value: 'EMEA', negate: false }],
    };
    const { plan } = planList(
      r('customers'),
      read({ filters: [{ column: 'street', op: 'is', value: 'null', negate: true }] }),
      decision,
      true,
    );
    assert.deepEqual(plan.filters, [
      { column: 'REGION', op: 'eq', value: 'EMEA', negate: false },
      { column: 'Straße', op: 'is', value: 'null', negate: true },
    ]);
    assert.equal(plan.count, true);
    assert.deepEqual(plan.table, { schema: undefined, name: 'CUST_MSTR' });
  });

  it('when an opened cursor’s values are given, then they become the keyset position on the database columns', () => {
    const order = [
      { column: 'displayOrder', direction: 'asc' as const, nulls: 'last' as const },
      { column: 'code', direction: 'asc' as const, nulls: undefined },
    ];
    const { plan } = planList(r('items'), read({ order: order.slice(0, 1), cursor: 'opened' }), everything('items'), false, [null, 'FAS-00007']);
    assert.deepEqual(plan.after, {
      terms: [
        { column: 'ORDER', direction: 'asc', nulls: 'last', notNull: false },
        { column: 'ITEM_CD', direction: 'asc', nulls: undefined, notNull: true },
      ],
      values: [null, 'FAS-00007'],
    });
  });

  it('when no select is given, then every visible property is selected, and only those', () => {
    const decision: Decision = { ...everything('customers'), visible: new Set(['id', 'name']) };
    const { plan, selected } = planList(r('customers'), read(), decision, false);
    assert.deepEqual(selected, ['id', 'name']);
    assert.deepEqual(plan.columns, ['CUST_ID', 'CUST_NAME']);
  });

  it('when reading by key, then each key column is an eq filter and two rows are fetched to detect duplicates', () => {
    const plan = planRead(r('order-lines'), [10001, 2], ['quantity'], everything('order-lines'));
    assert.deepEqual(pick(plan, ['columns', 'filters', 'limit']), {
      columns: ['QTY'],
      filters: [
        { column: 'ORD_NO', op: 'eq', value: 10001, negate: false },
        { column: 'LINE_NO', op: 'eq', value: 2, negate: false },
      ],
      limit: 2,
    });
  });
});

describe('planning writes', () => {
  it('when creating, then bodies map to database columns and forced values win', () => {
    const decision: Decision = { ...everything('customers'), forced: { region: 'APAC' } };
    const plan = planCreate(r('customers'), [{ name: 'A', region: 'EMEA', creditLimit: '10.00', street: 'S' }], decision, {
      resolution: undefined,
      returning: ['id'],
    });
    assert.deepEqual(pick(plan, ['rows', 'returning', 'conflict']), {
      rows: [{ CUST_NAME: 'A', REGION: 'APAC', 'Credit Limit': '10.00', Straße: 'S' }],
      returning: ['CUST_ID'],
      conflict: undefined,
    });
  });

  it('when upserting, then the conflict target is the key; a row without its key is refused', () => {
    const plan = planCreate(r('items'), [{ code: 'X-1', description: 'x', unitCost: '1' }], everything('items'), {
      resolution: 'ignore-duplicates',
      returning: ['code'],
    });
    assert.deepEqual(plan.conflict, { columns: ['ITEM_CD'], action: 'ignore' });
    const err = refusal(() =>
      planCreate(r('order-lines'), [{ orderNo: 1, lineNo: 1 }, { orderNo: 1 }], everything('order-lines'), {
        resolution: 'merge-duplicates',
        returning: [],
      }),
    );
    assert.equal(err.code, 'missing_key');
    assert.deepEqual(err.extras.errors, [{ pointer: '/1/lineNo', detail: 'is required for upsert' }]);
  });

  it('when a body sets a read-only, unknown or non-writable property, then it is refused with a pointer', () => {
    const opts = { resolution: undefined, returning: [] };
    assert.equal(refusal(() => planCreate(r('customers'), [{ id: 5, name: 'x', region: 'EMEA' }], everything('customers'), opts)).code, 'read_only_property');
    const unknown = refusal(() => planCreate(r('customers'), [{ nmae: 'x' }], everything('customers'), opts));
    assert.equal(unknown.code, 'unknown_column');
    assert.equal(unknown.extras.hint, 'did you mean "name"?');
    const decision: Decision = { ...everything('customers'), writable: new Set(['name']) };
    const forbidden = refusal(() => planCreate(r('customers'), [{ name: 'x', region: 'EMEA' }], decision, opts));
    assert.equal(forbidden.code, 'column_not_writable');
    assert.equal(forbidden.status, 403);
  });

  it('when updating and deleting, then filters and the affected-rows cap carry through', () => {
    const filters = [{ column: 'code', op: 'like' as const, value: 'PAC-%', negate: false }];
    const update = planUpdate(r('items'), { discontinued: true }, filters, everything('items'), ['code'], 25);
    assert.deepEqual(pick(update, ['set', 'filters', 'returning', 'maxAffected']), {
      set: { DISCONTINUED: true },
      filters: [{ column: 'ITEM_CD', op: 'like', value: 'PAC-%', negate: false }],
      returning: ['ITEM_CD'],
      maxAffected: 25,
    });
    const del = planDelete(r('items'), filters, everything('items'), [], 1);
    assert.deepEqual(pick(del, ['filters', 'maxAffected']), { filters: update.filters, maxAffected: 1 });
  });

  it('when replacing, then omitted properties take their default, else null; database-filled ones are left out', () => {
    const plan = planReplace(r('customers'), [7], { name: 'N', region: 'AMER' }, everything('customers'), ['id']);
    assert.deepEqual(plan.key, { CUST_ID: 7 });
    assert.deepEqual(plan.set, {
      CUST_NAME: 'N',
      EMAIL_ADDR: null,
      REGION: 'AMER',
      'Credit Limit': null,
      STATUS_CD: 'A',
      Straße: null,
    });
    assert.equal('CREATED_TS' in plan.set, false);
  });

  it('when a PUT body names a different key than the path, then 400 key_mismatch', () => {
    const err = refusal(() => planReplace(r('order-lines'), [10001, 1], { orderNo: 10001, lineNo: 2 }, everything('order-lines'), []));
    assert.equal(err.code, 'key_mismatch');
  });

  it('when database rows go back out, then they carry API names only, and bytes become base64', () => {
    const rows = toApiRows(r('customers'), [{ CUST_ID: 1, 'Credit Limit': '5.00', Straße: new Uint8Array([104, 105]), EXTRA: 'x' }], ['id', 'creditLimit', 'street']);
    assert.deepEqual(rows, [{ id: 1, creditLimit: '5.00', street: 'aGk=' }]);
  });
});
