// The hash chain: each record's hash covers its content, its place (instance, seq, time) and its predecessor's hash.
import { createHash } from 'node:crypto';
import type { AuditContent, AuditRecord } from './event.js';

/** prev_hash of an instance's first record. */
export const GENESIS_HASH = '0'.repeat(64);

export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
  readonly recordedAt: string | undefined;
}

/**
 * RFC 8785 (JCS) canonical JSON: members sorted by UTF-16 code units, numbers and strings as ECMAScript's
 * JSON.stringify writes them. Written here rather than with the `canonicalize` package because it runs for every
 * record on the request path and is several times faster on these shapes; test/audit-canonical.test.ts checks the
 * two agree. Inputs are JSON values from toJsonValue (no lone surrogates, no undefined).
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

/** The hash a record should have; a `hash` field on the argument is ignored. */
export function recordHash(record: Omit<AuditRecord, 'hash'> & { readonly hash?: string }): string {
  const { instanceId, seq, recordedAt, prevHash, hash: _stored, ...content } = record;
  const hashed = { v: 1, instanceId, seq, recordedAt, prevHash, content };
  return createHash('sha256').update(canonicalJson(hashed)).digest('hex');
}

/** Chains `contents` after `head`; returns the records and the new head. Pure. */
export function chain(
  instanceId: string,
  head: ChainHead,
  contents: readonly AuditContent[],
  recordedAt: string,
): { records: AuditRecord[]; head: ChainHead } {
  let seq = head.seq;
  let prevHash = head.hash;
  const records = contents.map((content) => {
    seq += 1;
    const unhashed = { ...content, instanceId, seq, recordedAt, prevHash };
    const hash = recordHash(unhashed);
    prevHash = hash;
    return { ...unhashed, hash };
  });
  return { records, head: { seq, hash: prevHash, recordedAt } };
}
