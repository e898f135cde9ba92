// Any JS value → a JSON value that survives canonical encoding and a round trip through PostgreSQL jsonb / text.
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/**
 * PostgreSQL text and jsonb refuse NUL and lone surrogates; canonical JSON refuses NaN and Infinity. Each is
 * replaced by something printable, so that what is hashed is exactly what is stored.
 */
export function toJsonValue(value: unknown, depth = 0): JsonValue {
  if (value === null || value === undefined) return null;
  switch (typeof value) {
    case 'string':
      return cleanString(value);
    case 'number':
      if (Number.isFinite(value)) return Object.is(value, -0) ? 0 : value;
      return String(value);
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'function':
    case 'symbol':
      return null;
    default:
      break;
  }
  if (depth > 32) return '[too deep]';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) {
    return { $bytes: Buffer.from(value as Uint8Array).toString('base64') };
  }
  if (Array.isArray(value)) return value.map((v) => toJsonValue(v, depth + 1));
  const out: { [key: string]: JsonValue } = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined) continue;
    out[cleanString(k)] = toJsonValue(v, depth + 1);
  }
  return out;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// eslint-disable-next-line no-control-regex
const NUL = /\u0000/g;
// eslint-disable-next-line no-control-regex
const SUSPECT = /[\u0000\uD800-\uDFFF]/;

export function cleanString(text: string): string {
  // Nearly every string is clean: one scan says so, without building two copies.
  if (!SUSPECT.test(text)) return text;
  return text.replace(LONE_SURROGATE, '\uFFFD').replace(NUL, '\uFFFD');
}

export function cleanOptional(text: string | undefined | null): string | null {
  return text === undefined || text === null ? null : cleanString(text);
}
