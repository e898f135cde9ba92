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
  hex(0, (high >>> 16) & 0xff);
  hex(2, (high >>> 8) & 0xff);
  hex(4, high & 0xff);
  hex(6, (low >>> 16) & 0xff);
  hex(9, (low >>> 8) & 0xff);
  hex(11, low & 0xff);
  hex(14, 0x70 | (counter >>> 8));
  hex(16, counter & 0xff);
  hex(19, 0x80 | (POOL[r]! & 0x3f));
  hex(21, POOL[r + 1]!);
  for (let i = 2; i < 8; i++) hex(20 + 2 * i, POOL[r + i]!);
  // One flat string from the text buffer: building it with + made ~20 intermediate strings per id.
  return TEXT.toString('latin1', 0, 36);
}

const DIGITS = Buffer.from('0123456789abcdef', 'latin1');
/** The id's text, hyphens in place; hex() fills in the digits. */
const TEXT = Buffer.from('00000000-0000-0000-0000-000000000000', 'latin1');

function hex(at: number, byte: number): void {
  TEXT[at] = DIGITS[byte >>> 4]!;
  TEXT[at + 1] = DIGITS[byte & 0x0f]!;
}

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
