// The encodings audit hashes are taken over: RFC 8785 for checkpoints (checked against the `canonicalize` package),
// a record's store row as JSON for records (version 3; version 2 still verifies), and values made safe for
// PostgreSQL text / json so that a stored record re-hashes to its stored hash.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import canonicalize from 'canonicalize';
import { recordToRow, rowToRecord } from '../src/audit/event-row.js';
import type { AuditContent } from '../src/audit/event.js';
import { canonicalJson, chain, GENESIS_HASH, hashMatches, recordHash, recordHashV2 } from '../src/audit/hash-chain.js';
import { toJsonValue } from '../src/audit/json-value.js';

const SAMPLES: unknown[] = [
  null,
  true,
  0,
  -1.5,
  1e21,
  1e-7,
  0.1 + 0.2,
  Number.MAX_SAFE_INTEGER,
  'plain',
  'quote " backslash \\ newline \n tab \t control \u0001',
  'Zoë Müller — 東京 🚀',
  [],
  {},
  [1, 'two', null, { b: 1, a: [true] }],
  { b: 2, a: 1, ä: 3, A: 4, '\u20ac': 5, '\ud83d\ude80': 6, '10': 7, '9': 8 },
  { nested: { z: { y: { x: [{ k: 'v', j: null }] } } } },
];

describe('canonical JSON', () => {
  it('when a value is encoded, then the bytes equal RFC 8785 as the canonicalize package writes them', () => {
    for (const value of SAMPLES) assert.equal(canonicalJson(value), canonicalize(value), JSON.stringify(value));
  });

  it('when key order differs, then the encoding is the same', () => {
    assert.equal(canonicalJson({ a: 1, b: { c: 2, d: 3 } }), canonicalJson({ b: { d: 3, c: 2 }, a: 1 }));
  });

  it('when a value cannot be stored as text or jsonb, then toJsonValue replaces it with something printable', () => {
    assert.equal(toJsonValue('a\u0000b'), 'a\uFFFDb');
    assert.equal(toJsonValue('lone \ud800 surrogate'), 'lone \uFFFD surrogate');
    assert.equal(toJsonValue(Number.NaN), 'NaN');
    assert.equal(toJsonValue(Number.POSITIVE_INFINITY), 'Infinity');
    assert.equal(toJsonValue(10n ** 30n), '1000000000000000000000000000000');
    assert.equal(toJsonValue(new Date('2026-01-02T03:04:05.678Z')), '2026-01-02T03:04:05.678Z');
    assert.deepEqual(toJsonValue(Buffer.from('hi')), { $bytes: 'aGk=' });
    assert.deepEqual(toJsonValue({ a: undefined, b: [undefined] }), { b: [null] });
  });
});

describe('hash chain', () => {
  const content: AuditContent = {
    id: 'e1',
    kind: 'request',
    ref: 'e1',
    occurredAt: '2026-01-02T03:04:05.678Z',
    requestId: 'r1',
    method: 'POST',
    path: '/customers',
    route: '/customers',
    operationId: 'createCustomer',
    resource: 'customers',
    status: 201,
    outcome: 'success',
    errorCode: null,
    deniedBy: null,
    latencyMs: 12.345,
    rows: 1,
    principal: { subject: 'alice', clientId: 'app', scopes: ['a', 'b'], roles: [], tokenId: 'jti' },
    client: { ip: '10.0.0.1', forwardedFor: ['10.0.0.1', '192.0.2.1'], zone: 'onprem', peer: '192.0.2.1' },
    statements: [{ source: 'erp', sql: 'insert …', bindings: ['[masked:pii]', 3, null], rows: 1, durationMs: 0.25, error: null }],
    detail: null,
  };

  it('when records are chained, then each links to the previous hash and re-hashes to its own', () => {
    const { records, head } = chain('i1', { seq: 0, hash: GENESIS_HASH, recordedAt: undefined }, [content, { ...content, id: 'e2' }], '2026-01-02T03:04:06.000Z');
    assert.equal(records[0]!.prevHash, GENESIS_HASH);
    assert.equal(records[1]!.prevHash, records[0]!.hash);
    assert.equal(head.hash, records[1]!.hash);
    assert.equal(head.seq, 2);
    for (const r of records) assert.equal(recordHash(r), r.hash);
  });

  it('when any field changes, then the hash changes', () => {
    const [record] = chain('i1', { seq: 0, hash: GENESIS_HASH, recordedAt: undefined }, [content], '2026-01-02T03:04:06.000Z').records;
    assert.notEqual(recordHash({ ...record!, status: 200 }), record!.hash);
    assert.notEqual(recordHash({ ...record!, seq: 2 }), record!.hash);
    assert.notEqual(recordHash({ ...record!, principal: { ...content.principal!, scopes: ['a'] } }), record!.hash);
  });

  it('when any field of a record, at any depth, is changed, then the hash changes (no field is left out of it)', () => {
    const [record] = chain('i1', { seq: 0, hash: GENESIS_HASH, recordedAt: undefined }, [
      { ...content, detail: { note: 'x' }, statements: [{ ...content.statements[0]!, bindings: [{ json: 1 }, 'v'] }] },
    ], '2026-01-02T03:04:06.000Z').records;
    const base = record!;
    const variants: Array<[string, unknown]> = [];
    const mutate = (value: unknown): unknown =>
      typeof value === 'number' ? value + 1 : typeof value === 'string' ? `${value}x` : value === null ? 'x' : Array.isArray(value) ? [...value, value[0] ?? 'x'] : { ...value as object, x: 1 };
    for (const [key, value] of Object.entries(base)) {
      if (key === 'hash') continue;
      const structured = key === 'principal' || key === 'client';
      if (!structured) variants.push([key, { ...base, [key]: mutate(value) }]);
      if (structured && value && typeof value === 'object') {
        for (const [inner, v] of Object.entries(value)) variants.push([`${key}.${inner}`, { ...base, [key]: { ...value, [inner]: mutate(v) } }]);
      }
    }
    for (const [inner, v] of Object.entries(base.statements[0]!)) {
      variants.push([`statements.0.${inner}`, { ...base, statements: [{ ...base.statements[0]!, [inner]: mutate(v) }] }]);
    }
    // An object binding must not hash like the string of its JSON text.
    variants.push(['bindings object → string', { ...base, statements: [{ ...base.statements[0]!, bindings: ['{"json":1}', 'v'] }] }]);
    assert.ok(variants.length > 35, `${variants.length} variants`);
    for (const [name, variant] of variants) assert.notEqual(recordHash(variant as typeof base), base.hash, name);
  });

  it('when a record goes to a row and back (through JSON, as the store receives it), then it is unchanged', () => {
    const [record] = chain('i1', { seq: 41, hash: 'f'.repeat(64), recordedAt: undefined }, [content], '2026-01-02T03:04:06.000Z').records;
    const parsed = JSON.parse(JSON.stringify(recordToRow(record!))) as Record<string, unknown>;
    const back = rowToRecord({ ...parsed, seq: '42', occurred_at: new Date(record!.occurredAt), recorded_at: new Date(record!.recordedAt) });
    assert.deepEqual(back, record);
    assert.equal(recordHash(back), record!.hash);
  });

  it('when a record is chained, then the store is sent its unhashed row JSON plus the hash, and that text is what was hashed', () => {
    const { records, rows } = chain('i1', { seq: 0, hash: GENESIS_HASH, recordedAt: undefined }, [content], '2026-01-02T03:04:06.000Z');
    const record = records[0]!;
    const sent = JSON.parse(rows[0]!) as Record<string, unknown>;
    assert.deepEqual(sent, recordToRow(record));
    assert.equal(rows[0], `${rows[0]!.slice(0, rows[0]!.indexOf(',"hash":'))},"hash":"${record.hash}"}`);
    assert.equal(recordHash(record), record.hash);
  });

  it('when free-form values have keys in any order (integer-like ones too), then the row read back re-hashes to the same hash', () => {
    const odd = {
      ...content,
      detail: { zeta: 1, '10': 'ten', alpha: { y: [1, { b: 2, a: 1 }], x: null }, '2': 'two', 'ä': 'umlaut 東京' },
      statements: [{ ...content.statements[0]!, bindings: [{ z: 1, a: [2, 1] }, 'v', 1.5, null] }],
    };
    const { records, rows } = chain('i1', { seq: 6, hash: 'a'.repeat(64), recordedAt: undefined }, [odd], '2026-01-02T03:04:06.000Z');
    // What the json columns give back: the text as sent, parsed.
    const parsed = JSON.parse(rows[0]!) as Record<string, unknown>;
    const back = rowToRecord({ ...parsed, seq: '7', occurred_at: new Date(odd.occurredAt), recorded_at: new Date('2026-01-02T03:04:06.000Z') });
    assert.equal(recordHash(back), records[0]!.hash);
    assert.ok(hashMatches(back, records[0]!.hash));
  });

  it('when a record was stored with a version 2 hash, then it still verifies, and an edit to it is still caught', () => {
    const [record] = chain('i1', { seq: 0, hash: GENESIS_HASH, recordedAt: undefined }, [content], '2026-01-02T03:04:06.000Z').records;
    const v2 = recordHashV2(record!);
    assert.notEqual(v2, record!.hash, 'the versions differ');
    assert.ok(hashMatches(record!, v2));
    assert.ok(!hashMatches({ ...record!, status: 200 }, v2));
    assert.ok(!hashMatches({ ...record!, seq: 2 }, v2));
  });
});
