// Request validation formats: what the gateway returns for legacy time columns can be written back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Resource } from '../src/openapi/resource.js';
import { createValidatorFactory } from '../src/openapi/validators.js';

const resource = {
  entitySchema: {
    type: 'object',
    properties: { at: { type: 'string', format: 'date-time' }, clock: { type: 'string', format: 'time' } },
  },
  columns: new Map(),
} as unknown as Resource;
const { full } = createValidatorFactory().forResource(resource);

test('a timestamp read from a column without a time zone (no offset) is accepted when written back', () => {
  for (const at of ['2024-05-01T10:00:00', '2024-05-01T10:00:00.123456', '2024-05-01T10:00:00Z', '2024-05-01T10:00:00+02:00']) {
    assert.deepEqual(full({ at }), [], at);
  }
  for (const clock of ['10:00:00', '23:59:59.999']) assert.deepEqual(full({ clock }), [], clock);
});

test('an impossible date or clock, or a bare date, is still refused as a date-time', () => {
  for (const at of ['2023-02-30T10:00:00', '2024-05-01T24:00:01', '2024-05-01', 'yesterday']) {
    assert.equal(full({ at }).length, 1, at);
  }
  for (const clock of ['25:00:00', '10:00']) assert.equal(full({ clock }).length, 1, clock);
});
