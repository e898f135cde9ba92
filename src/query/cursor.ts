// Opaque keyset cursors: the last row's order values, tied to the order they were made for.
import { ValidationError } from '../errors/app-error.js';
import type { OrderTerm } from './types.js';

function signature(terms: readonly OrderTerm[]): string {
  return terms.map((t) => `${t.column}.${t.direction}.${t.nulls ?? ''}`).join(',');
}

export function encodeCursor(terms: readonly OrderTerm[], values: readonly unknown[]): string {
  return Buffer.from(JSON.stringify([signature(terms), values]), 'utf8').toString('base64url');
}

/** Values of the order terms, or a 400 when the cursor is malformed or was made for another order. */
export function decodeCursor(cursor: string, terms: readonly OrderTerm[]): unknown[] {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  if (
    !Array.isArray(decoded) ||
    decoded.length !== 2 ||
    typeof decoded[0] !== 'string' ||
    !Array.isArray(decoded[1]) ||
    decoded[1].length !== terms.length ||
    !decoded[1].every((v) => v === null || ['string', 'number', 'boolean'].includes(typeof v))
  ) {
    throw new ValidationError('invalid_cursor', 'the cursor is not one this endpoint issued', {
      hint: 'follow the Link: rel="next" header as given',
    });
  }
  if (decoded[0] !== signature(terms)) {
    throw new ValidationError('invalid_cursor', 'the cursor was made for a different order', {
      hint: 'keep the same order parameter while following cursors',
    });
  }
  return decoded[1] as unknown[];
}
