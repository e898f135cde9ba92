// Sealed keyset cursors on their own: round trips, opacity, and refusal of forged, edited, foreign or replayed cursors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../src/errors/app-error.js';
import { cursorKeyFromSecret, openCursor, randomCursorKey, sealCursor, type CursorScope } from '../src/query/cursor.js';
import type { OrderTerm } from '../src/query/types.js';

const ORDER: OrderTerm[] = [
  { column: 'creditLimit', direction: 'desc', nulls: 'last' },
  { column: 'name', direction: 'asc', nulls: undefined },
  { column: 'id', direction: 'asc', nulls: undefined },
];

const SCOPE: CursorScope = {
  resource: 'customers',
  rule: 'customers-by-region',
  rowFilters: [{ column: 'region', op: 'eq', value: 'EMEA', negate: false }],
  caller: ['https://idp.example', 'alice', 'app-1'],
  filters: [{ column: 'status', op: 'eq', value: 'A', negate: false }],
  order: ORDER,
  select: ['name', 'region'],
};

const KEY = cursorKeyFromSecret('a secret of at least thirty-two characters');

function refusal(cursor: string, scope: CursorScope = SCOPE, key: Buffer = KEY): AppError {
  try {
    openCursor(key, scope, cursor);
  } catch (err) {
    assert.ok(err instanceof AppError);
    assert.equal(err.code, 'invalid_cursor');
    assert.equal(err.status, 400);
    return err;
  }
  assert.fail(`cursor ${cursor} was accepted`);
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

describe('sealed keyset cursors', () => {
  it('when a cursor is sealed and opened under the same scope, then the values come back exactly', () => {
    for (const values of [['25000.00', 'Zoë Müller, "the elder"', 42], [null, '', -1], [true, 'x', 0]]) {
      assert.deepEqual(openCursor(KEY, SCOPE, sealCursor(KEY, SCOPE, values)), values);
    }
  });

  it('when a cursor is made, then it is URL-safe text that shows none of its values', () => {
    const cursor = sealCursor(KEY, SCOPE, ['???>>>', 'Secret Name', 123456789]);
    assert.match(cursor, /^[A-Za-z0-9_-]+$/);
    const bytes = Buffer.from(cursor, 'base64url').toString('latin1');
    for (const shown of ['Secret', '123456789', 'creditLimit', 'id.asc']) assert.ok(!bytes.includes(shown), shown);
    assert.notEqual(sealCursor(KEY, SCOPE, [1, 'a', 1]), sealCursor(KEY, SCOPE, [1, 'a', 1]), 'a fresh IV per cursor');
  });

  it('when the same secret is configured again (a restart, another replica), then its cursors open', () => {
    const again = cursorKeyFromSecret('a secret of at least thirty-two characters');
    assert.deepEqual(openCursor(again, SCOPE, sealCursor(KEY, SCOPE, ['1', 'a', 1])), ['1', 'a', 1]);
  });

  it('when a cursor was sealed with another key, then 400 invalid_cursor', () => {
    refusal(sealCursor(randomCursorKey(), SCOPE, ['1', 'a', 1]));
    refusal(sealCursor(cursorKeyFromSecret('another secret, also thirty-two characters'), SCOPE, ['1', 'a', 1]));
  });

  it('when a cursor is opened under another rule, caller, row filter, filter, order or select, then 400 invalid_cursor', () => {
    const cursor = sealCursor(KEY, SCOPE, ['1.00', 'a', 1]);
    const others: CursorScope[] = [
      { ...SCOPE, resource: 'orders' },
      { ...SCOPE, rule: 'kiosk' },
      { ...SCOPE, rule: undefined },
      { ...SCOPE, rowFilters: [{ column: 'region', op: 'eq', value: 'APAC', negate: false }] },
      { ...SCOPE, caller: ['https://idp.example', 'mallory', 'app-1'] },
      { ...SCOPE, caller: undefined },
      { ...SCOPE, filters: [] },
      { ...SCOPE, filters: [{ column: 'status', op: 'eq', value: 'A', negate: true }] },
      { ...SCOPE, order: ORDER.map((t, i) => (i === 0 ? { ...t, direction: 'asc' as const } : t)) },
      { ...SCOPE, order: ORDER.map((t, i) => (i === 0 ? { ...t, nulls: 'first' as const } : t)) },
      { ...SCOPE, select: ['name'] },
    ];
    for (const scope of others) refusal(cursor, scope);
  });

  it('when any byte of a cursor is changed, or it is cut short, then 400 invalid_cursor', () => {
    const cursor = sealCursor(KEY, SCOPE, ['1.00', 'a', 1]);
    const raw = Buffer.from(cursor, 'base64url');
    for (let i = 0; i < raw.length; i++) {
      const edited = Buffer.from(raw);
      edited[i] = edited[i]! ^ 0x20;
      refusal(edited.toString('base64url'));
    }
    refusal(cursor.slice(0, -4));
    refusal(cursor.slice(8));
  });

  it('when a cursor is forged as plain base64 JSON, garbled, or oversized, then 400 invalid_cursor', () => {
    for (const forged of [
      b64(['creditLimit.desc.last,name.asc.,id.asc.', ['1', 'a', 1]]),
      b64(['id.asc.', [900000]]),
      '',
      '!!!',
      'bm90IGpzb24',
      'A'.repeat(5000),
      `${sealCursor(KEY, SCOPE, ['1.00', 'a', 1])}=`,
    ]) {
      refusal(forged);
    }
  });

  it('when a sealed cursor holds the wrong number of values or a non-scalar, then 400 invalid_cursor', () => {
    refusal(sealCursor(KEY, SCOPE, ['1', 'a']));
    refusal(sealCursor(KEY, SCOPE, ['1', 'a', 1, 2]));
    refusal(sealCursor(KEY, SCOPE, ['1', 'a', { $gt: 0 }]));
    refusal(sealCursor(KEY, SCOPE, ['1', 'a', [1]]));
  });
});
