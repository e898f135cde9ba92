// Identifiers the gateway mints: request ids and audit event ids.
import { randomFillSync } from 'node:crypto';

/**
 * A UUIDv7 (RFC 9562 §5.7): time-ordered, so ids sort by creation and the audit store's id indexes grow at their
 * right edge (PostgreSQL's B-tree fast path for ascending keys) instead of touching a random leaf on every insert.
 *
 * Layout: 48-bit Unix milliseconds, version 7, a 12-bit counter in rand_a (RFC 9562 §6.2, method 1: it restarts
 * from a random value below 2048 each millisecond and counts up, so ids of one process are strictly increasing),
 * variant 10, then 62 random bits. Randomness is drawn 4 KiB at a time: one OpenSSL call per 256 ids rather than
 * one per id, which profiling showed at several microseconds each on the request path.
 */
export function newId(): string {
  let now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    counter = POOL[take(2)]! * 8 + (POOL[offset - 1]! & 0x07); // 0–2047
  } else {
    // Same millisecond (or the clock stepped back): count on; past the counter's range, borrow the next millisecond.
    counter += 1;
    if (counter > 0xfff) {
      lastMs += 1;
      counter = 0;
    }
    now = lastMs;
  }
  const high = Math.floor(now / 0x1000000); // the top 24 of the 48 time bits
  const low = now % 0x1000000;
  const r = take(8);
  return (
    HEX[(high >>> 16) & 0xff]! + HEX[(high >>> 8) & 0xff]! + HEX[high & 0xff]! + HEX[(low >>> 16) & 0xff]! + '-' +
    HEX[(low >>> 8) & 0xff]! + HEX[low & 0xff]! + '-' +
    HEX[0x70 | (counter >>> 8)]! + HEX[counter & 0xff]! + '-' +
    HEX[0x80 | (POOL[r]! & 0x3f)]! + HEX[POOL[r + 1]!]! + '-' +
    HEX[POOL[r + 2]!]! + HEX[POOL[r + 3]!]! + HEX[POOL[r + 4]!]! + HEX[POOL[r + 5]!]! + HEX[POOL[r + 6]!]! + HEX[POOL[r + 7]!]!
  );
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
let lastMs = 0;
let counter = 0;
const POOL = Buffer.alloc(4096);
let offset = POOL.length;

/** The offset of `bytes` fresh random bytes in POOL. */
function take(bytes: number): number {
  if (offset + bytes > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  const at = offset;
  offset += bytes;
  return at;
}
