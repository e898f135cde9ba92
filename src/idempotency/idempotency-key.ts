// The Idempotency-Key request header: a Structured Field string (`"…"`, as the draft writes it) or the bare token most
// clients send; either way 1–255 characters of a small alphabet, so a key is safe to store, log and audit.
import { InvalidIdempotencyKeyError } from './idempotency-errors.js';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const MAX_KEY_LENGTH = 255;
const KEY = /^[A-Za-z0-9\-_.:~+/=]+$/;

/** The key a request carries, undefined when it carries none; a malformed or repeated header is refused. */
export function idempotencyKeyFrom(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  // Node joins a repeated header with ", ": the comma is outside the alphabet, so two keys are refused below.
  if (Array.isArray(header)) throw new InvalidIdempotencyKeyError('was sent more than once');
  let key = header.trim();
  if (key.length >= 2 && key.startsWith('"') && key.endsWith('"')) key = key.slice(1, -1);
  if (key.length === 0) throw new InvalidIdempotencyKeyError('is empty');
  if (key.length > MAX_KEY_LENGTH) throw new InvalidIdempotencyKeyError(`is longer than ${MAX_KEY_LENGTH} characters`);
  if (!KEY.test(key)) {
    throw new InvalidIdempotencyKeyError(key.includes(',') ? 'was sent more than once' : 'holds a character a key may not have');
  }
  return key;
}

const SECONDS_PER = { s: 1, m: 60, h: 3600, d: 86_400 } as const;

/** `idempotency.ttl` (`90s`, `15m`, `24h`, `7d`: the configuration schema's pattern) → seconds. */
export function durationSeconds(text: string): number {
  return Number(text.slice(0, -1)) * SECONDS_PER[text.slice(-1) as keyof typeof SECONDS_PER];
}
