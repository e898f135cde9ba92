// Keyset cursors on their own: round trips, opacity, and refusal of tampered or foreign cursors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../src/errors/app-error.js';
import { decodeCursor, encodeCursor } from '../src/query/cursor.js';
import type { OrderTerm } from '../src/query/types.js';

const ORDER: OrderTerm[] = [
  { column: 'creditLimit', direction: 'desc', nulls: 'last' },
  { column: 'name', direction: 'asc', nulls: undefined },
  { column: 'id', direction: 'asc', nulls: undefined },
];

function refusal(cursor: string, order: readonly OrderTerm[] = ORDER): AppError {
  try {
    decodeCursor(cursor, order);
  } catch (err) {
    assert.ok(err instanceof AppError);
    return err;
  }
  assert.fail(`cursor ${cursor} was accepted`);
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

describe('keyset cursors', () => {
  it('when a cursor is encoded and decoded under the same order, then the values come back exactly', () => {
    const values = ['25000.00', 'Zoë Müller, "the elder"', 42];
    assert.deepEqual(decodeCursor(encodeCursor(ORDER, values), ORDER), values);
    const withNulls = [null, '', -1];
    assert.deepEqual(decodeCursor(encodeCursor(ORDER, withNulls), ORDER), withNulls);
    const booleans: OrderTerm[] = [{ column: 'discontinued', direction: 'asc', nulls: undefined }];
    assert.deepEqual(decodeCursor(encodeCursor(booleans, [true]), booleans), [true]);
  });

  it('when a cursor is made, then it is URL-safe text: no +, / or = to escape', () => {
    const cursor = encodeCursor(ORDER, ['???>>>', '~~~', 1]);
    assert.match(cursor, /^[A-Za-z0-9_-]+$/);
  });

  it('when a cursor made for one order is used with another, then 400 invalid_cursor', () => {
    const cursor = encodeCursor(ORDER, ['1.00', 'a', 1]);
    const flipped = ORDER.map((t, i) => (i === 0 ? { ...t, direction: 'asc' as const } : t));
    const err = refusal(cursor, flipped);
    assert.equal(err.code, 'invalid_cursor');
    assert.equal(err.status, 400);
    assert.match(err.message, /different order/);
    const nulls = ORDER.map((t, i) => (i === 0 ? { ...t, nulls: 'first' as const } : t));
    assert.equal(refusal(cursor, nulls).code, 'invalid_cursor');
    assert.equal(refusal(cursor, ORDER.slice(1)).code, 'invalid_cursor');
  });

  it('when a cursor is truncated, garbled or not base64 JSON, then 400 invalid_cursor', () => {
    const cursor = encodeCursor(ORDER, ['1.00', 'a', 1]);
    for (const bad of [cursor.slice(0, -5), cursor.slice(3), '', '!!!', 'bm90IGpzb24', b64('just a string')]) {
      assert.equal(refusal(bad).code, 'invalid_cursor', bad);
    }
  });

  it('when a forged cursor has the wrong shape or non-scalar values, then 400 invalid_cursor', () => {
    const signature = 'creditLimit.desc.last,name.asc.,id.asc.';
    assert.deepEqual(decodeCursor(b64([signature, ['1', 'a', 1]]), ORDER), ['1', 'a', 1]);
    for (const forged of [
      [signature, ['1', 'a']],
      [signature, ['1', 'a', 1, 2]],
      [signature, ['1', 'a', { $gt: 0 }]],
      [signature, ['1', 'a', [1]]],
      [signature, '1,a,1'],
      [42, ['1', 'a', 1]],
      [signature, ['1', 'a', 1], 'extra'],
      { signature, values: ['1', 'a', 1] },
    ]) {
      assert.equal(refusal(b64(forged)).code, 'invalid_cursor', JSON.stringify(forged));
    }
  });
});
