// The hash chain: each record's hash covers its content, its place (instance, seq, time) and its predecessor's hash.
import { hash } from 'node:crypto';
import type { AuditContent, AuditRecord } from './event.js';
import { storedRowText, unhashedRow } from './event-row.js';

/** prev_hash of an instance's first record. */
export const GENESIS_HASH = '0'.repeat(64);

export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
  readonly recordedAt: string | undefined;
}

/**
 * RFC 8785 (JCS) canonical JSON: members sorted by UTF-16 code units, numbers and strings as ECMAScript's
 * JSON.stringify writes them (checkpoint payloads, free-form values inside version 2 record hashes). Written here rather than
 * taken from the `canonicalize` package, which is several times slower because it scans every string for lone
 * surrogates that toJsonValue already removed; test/audit-canonical.test.ts checks the two agree.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new Error('canonical JSON has no encoding for NaN or Infinity');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          const item: unknown = value[i];
          out += item === undefined ? 'null' : canonicalJson(item);
        }
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record)
        .filter((k) => record[k] !== undefined)
        .sort();
      let out = '{';
      for (let i = 0; i < keys.length; i++) {
        if (i > 0) out += ',';
        const key = keys[i]!;
        out += `${JSON.stringify(key)}:${canonicalJson(record[key])}`;
      }
      return `${out}}`;
    }
    default:
      throw new Error(`canonical JSON has no encoding for a ${typeof value}`);
  }
}

/**
 * The hash a record should have (version 3): SHA-256 of its unhashed store row as JSON (see unhashedRow), the
 * very text the store is sent, so each record is serialized once. A `hash` field on the argument is ignored.
 */
export function recordHash(record: Omit<AuditRecord, 'hash'> & { readonly hash?: string }): string {
  return sealRow(record).hash;
}

/** A record's unhashed row as JSON text and its hash: what chain() stores and what recordHash() recomputes. */
function sealRow(record: Omit<AuditRecord, 'hash'>): { text: string; hash: string } {
  const text = JSON.stringify(unhashedRow(record));
  // crypto.hash: one call, no Hash object per record (this runs for every request).
  return { text, hash: hash('sha256', text, 'hex') };
}

/** Whether a stored record's hash is right: version 3, or version 2 for records stored before it. */
export function hashMatches(record: Omit<AuditRecord, 'hash'>, expected: string): boolean {
  return recordHash(record) === expected || recordHashV2(record) === expected;
}

/** Version 2 of the record hash, which records stored before version 3 carry. */
export function recordHashV2(record: Omit<AuditRecord, 'hash'>): string {
  return hash('sha256', hashedFormV2(record), 'hex');
}

/**
 * The bytes a version 2 hash was taken over: a JSON array in a fixed field order. Position, not a member name, says
 * what each value is, so the form is canonical by construction and JSON.stringify writes it natively (this runs for
 * every request). Free-form values (object bindings, detail) go in as RFC 8785 text wrapped in a one-element
 * array, so that no object can encode like a string.
 */
function hashedFormV2(r: Omit<AuditRecord, 'hash'>): string {
  const p = r.principal;
  const c = r.client;
  return JSON.stringify([
    2,
    r.instanceId,
    r.seq,
    r.recordedAt,
    r.prevHash,
    r.id,
    r.kind,
    r.ref,
    r.occurredAt,
    r.requestId,
    r.method,
    r.path,
    r.route,
    r.operationId,
    r.resource,
    r.status,
    r.outcome,
    r.errorCode,
    r.deniedBy,
    r.latencyMs,
    r.rows,
    p ? [p.subject, p.clientId, p.scopes, p.roles, p.tokenId] : null,
    [c.ip, c.forwardedFor, c.zone, c.peer],
    r.statements.map((s) => [s.source, s.sql, s.bindings.map(freeForm), s.rows, s.durationMs, s.error]),
    r.detail === null ? null : freeForm(r.detail),
  ]);
}

function freeForm(value: unknown): unknown {
  return value !== null && typeof value === 'object' ? [canonicalJson(value)] : value;
}

/** Chains `contents` after `head`; returns the records, the text the store is sent for each, and the new head. Pure. */
export function chain(
  instanceId: string,
  head: ChainHead,
  contents: readonly AuditContent[],
  recordedAt: string,
): { records: AuditRecord[]; rows: string[]; head: ChainHead } {
  let seq = head.seq;
  let prevHash = head.hash;
  const rows: string[] = [];
  const records = contents.map((c) => {
    seq += 1;
    // One literal of fixed shape (not spreads): this runs per request, and spread copies are several times slower.
    const record = {
      id: c.id,
      kind: c.kind,
      ref: c.ref,
      occurredAt: c.occurredAt,
      requestId: c.requestId,
      method: c.method,
      path: c.path,
      route: c.route,
      operationId: c.operationId,
      resource: c.resource,
      status: c.status,
      outcome: c.outcome,
      errorCode: c.errorCode,
      deniedBy: c.deniedBy,
      latencyMs: c.latencyMs,
      rows: c.rows,
      principal: c.principal,
      client: c.client,
      statements: c.statements,
      detail: c.detail,
      instanceId,
      seq,
      recordedAt,
      prevHash,
      hash: '',
    };
    // Serialized once, for both the hash and the store.
    const sealed = sealRow(record);
    record.hash = sealed.hash;
    rows.push(storedRowText(sealed.text, sealed.hash, record.detail));
    prevHash = record.hash;
    return record as AuditRecord;
  });
  return { records, rows, head: { seq, hash: prevHash, recordedAt } };
}
