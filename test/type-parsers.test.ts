// How PostgreSQL's text values become JSON: timestamptz values come out as RFC 3339 in UTC, the sub-millisecond digits
// kept, whether the session writes them in UTC (the fast path) or with another offset.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { postgresTextParsers } from '../src/db/dialects/postgres/type-parsers.js';

const TIMESTAMPTZ = 1184;
const TIMESTAMP = 1114;
const timestamptz = postgresTextParsers[TIMESTAMPTZ]!;

describe('PostgreSQL text parsers', () => {
  it('when a timestamptz is written in UTC, then it becomes an RFC 3339 instant with milliseconds, or microseconds when given', () => {
    assert.equal(timestamptz('2024-01-01 00:00:00+00'), '2024-01-01T00:00:00.000Z');
    assert.equal(timestamptz('2024-05-01 10:00:00.1+00'), '2024-05-01T10:00:00.100Z');
    assert.equal(timestamptz('2024-05-01 10:00:00.123+00'), '2024-05-01T10:00:00.123Z');
    assert.equal(timestamptz('2024-05-01 10:00:00.1234+00'), '2024-05-01T10:00:00.123400Z');
    assert.equal(timestamptz('2024-05-01 10:00:00.123456+00'), '2024-05-01T10:00:00.123456Z');
    assert.equal(timestamptz('0099-05-01 10:00:00+00'), '0099-05-01T10:00:00.000Z');
  });

  it('when a timestamptz carries another offset, then it is shifted to UTC and gives what the UTC form of it gives', () => {
    assert.equal(timestamptz('2024-05-01 12:00:00.5+02'), timestamptz('2024-05-01 10:00:00.5+00'));
    assert.equal(timestamptz('2024-05-01 10:00:00.5-05:30'), '2024-05-01T15:30:00.500Z');
    assert.equal(timestamptz('2024-05-01 02:00:00.123456+02'), '2024-05-01T00:00:00.123456Z');
  });

  it('when a value is outside what the parser handles (BC, infinity), then it passes through as PostgreSQL wrote it', () => {
    assert.equal(timestamptz('infinity'), 'infinity');
    assert.equal(timestamptz('0044-03-15 12:00:00+00 BC'), '0044-03-15 12:00:00+00 BC');
  });

  it('when a timestamp has no zone, then only the separator changes: the wall-clock value is not shifted', () => {
    assert.equal(postgresTextParsers[TIMESTAMP]!('2024-05-01 10:00:00.123'), '2024-05-01T10:00:00.123');
  });
});
