// Minted ids: RFC 9562 version 7 UUIDs, unique and strictly increasing within a process, their time prefix the
// time they were minted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newId } from '../src/util/ids.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

test('ids are version 7 UUIDs, unique and strictly increasing, even thousands within one millisecond', () => {
  const ids = Array.from({ length: 50_000 }, newId);
  for (const id of ids) assert.match(id, V7);
  assert.equal(new Set(ids).size, ids.length);
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i]! > ids[i - 1]!, `${ids[i]} does not sort after ${ids[i - 1]}`);
});

test("an id's first 48 bits are the Unix time in milliseconds it was minted at", () => {
  const before = Date.now();
  const id = newId();
  const after = Date.now();
  const ms = Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
  // The counter may borrow a few milliseconds ahead when thousands of ids were minted in the same one.
  assert.ok(ms >= before && ms <= after + 50, `${ms} is not within ${before}–${after}`);
});

test('the last 62 bits are random: ten thousand ids share no tail', () => {
  const tails = new Set(Array.from({ length: 10_000 }, () => newId().slice(19)));
  assert.equal(tails.size, 10_000);
});
