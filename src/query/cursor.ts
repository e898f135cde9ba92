// Sealed keyset cursors: the last row's order values, encrypted and authenticated (AES-256-GCM), bound to the caller's
// rule and the query they were made for. A cursor reveals nothing and can be neither forged, edited nor replayed elsewhere.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { ValidationError } from '../errors/app-error.js';
import type { Principal } from '../auth/principal.js';
import type { Decision } from '../policy/decision.js';
import type { Filter, OrderTerm, ReadRequest } from './types.js';

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Far above any real cursor (a few order values): longer input is refused before it is decoded. */
const MAX_CURSOR_CHARS = 4096;

/**
 * What a cursor is bound to. A cursor opens only under the same scope: the same resource, rule (and the values its
 * row filters were bound to, so a cursor of one region does not open for another), caller, filters, order and select.
 */
export interface CursorScope {
  readonly resource: string;
  readonly rule: string | undefined;
  readonly rowFilters: readonly Filter[];
  /** Who the cursor was issued to (issuer, subject, client id); undefined without authentication. */
  readonly caller: readonly unknown[] | undefined;
  readonly filters: readonly Filter[];
  /** The full order, key columns last: the terms whose values the cursor holds. */
  readonly order: readonly OrderTerm[];
  readonly select: readonly string[];
}

/** The scope of a list request: `order` is the full order (`listOrder`), `principal` absent without authentication. */
export function cursorScope(
  resource: string,
  request: ReadRequest,
  order: readonly OrderTerm[],
  decision: Decision,
  principal: Principal | undefined,
): CursorScope {
  return {
    resource,
    rule: decision.rule,
    rowFilters: decision.rowFilters,
    caller: principal ? [principal.claims.iss ?? null, principal.subject, principal.clientId ?? null] : undefined,
    filters: request.filters,
    order,
    select: request.select ?? [...decision.visible],
  };
}

/** The 32-byte key from a configured secret (`policies.cursorKey`): any length of secret, stretched with HKDF. */
export function cursorKeyFromSecret(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, 'gatehouse', 'keyset cursor v1', 32));
}

/** A key for this process only: its cursors do not survive a restart and are refused by other replicas. */
export function randomCursorKey(): Buffer {
  return randomBytes(32);
}

export function sealCursor(key: Buffer, scope: CursorScope, values: readonly unknown[]): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(scopeDigest(scope));
  const body = Buffer.concat([cipher.update(JSON.stringify(values), 'utf8'), cipher.final()]);
  return Buffer.concat([Buffer.of(VERSION), iv, cipher.getAuthTag(), body]).toString('base64url');
}

/** The order values sealed in `cursor`, or 400 invalid_cursor when it was not issued for this scope with this key. */
export function openCursor(key: Buffer, scope: CursorScope, cursor: string): unknown[] {
  const values = unseal(key, scope, cursor);
  if (
    !Array.isArray(values) ||
    values.length !== scope.order.length ||
    !values.every((v) => v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)))
  ) {
    throw invalidCursor();
  }
  return values;
}

function unseal(key: Buffer, scope: CursorScope, cursor: string): unknown {
  if (cursor.length > MAX_CURSOR_CHARS || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalidCursor();
  const raw = Buffer.from(cursor, 'base64url');
  if (raw.length <= 1 + IV_BYTES + TAG_BYTES || raw[0] !== VERSION) throw invalidCursor();
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(1, 1 + IV_BYTES));
    decipher.setAAD(scopeDigest(scope));
    decipher.setAuthTag(raw.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES));
    const text = Buffer.concat([decipher.update(raw.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    return JSON.parse(text) as unknown;
  } catch {
    // A wrong key, another scope, or any edited byte: GCM's tag does not verify. One answer for all of them.
    throw invalidCursor();
  }
}

/** SHA-256 of the scope in a canonical form (object keys sorted), authenticated with every cursor. */
function scopeDigest(scope: CursorScope): Buffer {
  return createHash('sha256').update(canonical(scope)).digest();
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return value === undefined ? 'null' : JSON.stringify(value);
}

function invalidCursor(): ValidationError {
  return new ValidationError('invalid_cursor', 'the cursor is not one this endpoint issued for this query', {
    hint: 'follow the Link: rel="next" header as given, with the same filters, order and select',
  });
}
