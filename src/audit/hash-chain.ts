// The hash chain: each record's hash covers its content, its place (instance, seq, time) and its predecessor's hash.
import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';
import type { AuditContent, AuditRecord } from './event.js';

/** prev_hash of an instance's first record. */
export const GENESIS_HASH = '0'.repeat(64);

export interface ChainHead {
  readonly seq: number;
  readonly hash: string;
  readonly recordedAt: string | undefined;
}

/** RFC 8785 (JCS) canonical JSON: the same value always encodes to the same bytes. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new Error('value has no JSON encoding');
  return text;
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
