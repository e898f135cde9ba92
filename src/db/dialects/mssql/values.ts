// How SQL Server values cross the driver: what tedious reads becomes the JSON PostgreSQL sources give (exact numerics
// and calendar values as text, unshifted), and each bound value gets a parameter type SQL Server converts from.
import type { TYPES } from 'tedious';
import { tedious } from './tedious.js';

type DataType = (typeof TYPES)[keyof typeof TYPES];

interface ColumnMeta {
  readonly type: { readonly name: string };
  readonly scale?: number | undefined;
  readonly dataLength?: number | undefined;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** Seconds' fraction to at most seven digits (datetime2 / time / datetimeoffset), trailing zeros dropped. */
function fraction(date: Date): string {
  const delta = (date as Date & { nanosecondsDelta?: number }).nanosecondsDelta ?? 0;
  const ticks = date.getUTCMilliseconds() * 10_000 + Math.round(delta * 10_000_000);
  const digits = pad(ticks, 7).replace(/0+$/, '');
  return digits === '' ? '' : `.${digits}`;
}

const dateText = (d: Date): string => `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
const timeText = (d: Date): string => `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${fraction(d)}`;

/**
 * `2024-05-01T08:00:00.123Z`: the instant in UTC, milliseconds as Date prints them, or every digit there is when the
 * value holds more (a keyset cursor made from a rounded value would repeat or skip rows).
 */
function instantText(d: Date): string {
  const iso = d.toISOString();
  const more = fraction(d);
  if (more.length <= 4) return iso;
  // Microseconds as PostgreSQL gives them (six digits), or all seven when the 100 ns digit is set.
  return iso.replace(/\.\d{3}Z$/, `${more.padEnd(7, '0')}Z`);
}

/** A value as read by tedious → the JSON-ready value (the same shapes the PostgreSQL dialect produces). */
export function readValue(value: unknown, meta: ColumnMeta): unknown {
  if (value === null || value === undefined) return null;
  switch (meta.type.name) {
    case 'Decimal':
    case 'DecimalN':
    case 'Numeric':
    case 'NumericN':
      // tedious reads a decimal into a double: exact up to 15 significant digits, printed with the column's scale.
      return typeof value === 'number' ? value.toFixed(meta.scale ?? 0) : value;
    case 'Money':
    case 'MoneyN':
    case 'SmallMoney':
      return typeof value === 'number' ? value.toFixed(4) : value;
    case 'Date':
      return value instanceof Date ? dateText(value) : value;
    case 'Time':
      return value instanceof Date ? timeText(value) : value;
    case 'DateTime':
    case 'DateTimeN':
    case 'SmallDateTime':
    case 'DateTime2':
      // No zone: the wall-clock value, unshifted (useUTC reads it as if it were UTC).
      return value instanceof Date ? `${dateText(value)}T${timeText(value)}` : value;
    case 'DateTimeOffset':
      return value instanceof Date ? instantText(value) : value;
    default:
      return value;
  }
}

const INT32 = { min: -2_147_483_648, max: 2_147_483_647 };

/** The parameter type a bound value is sent as; SQL Server converts it to the column's type where they differ. */
export function parameterType(value: unknown): DataType {
  const types = tedious().TYPES;
  switch (typeof value) {
    case 'boolean':
      return types.Bit;
    case 'number':
      if (!Number.isInteger(value)) return types.Float;
      return value >= INT32.min && value <= INT32.max ? types.Int : types.BigInt;
    case 'bigint':
      return types.BigInt;
    default:
      if (value instanceof Date) return types.DateTimeOffset;
      if (Buffer.isBuffer(value)) return types.VarBinary;
      return types.NVarChar;
  }
}

/** A bound value as tedious sends it (objects and arrays as JSON text, like node-postgres does). */
export function parameterValue(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (value !== null && typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value)) return JSON.stringify(value);
  return value;
}

export function parameterOptions(value: unknown): { scale?: number } | undefined {
  return value instanceof Date ? { scale: 7 } : undefined;
}
