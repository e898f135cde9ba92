// How PostgreSQL values become JSON: exact numerics and calendar values stay text, so nothing is rounded or shifted.

const OID = { INT8: 20, NUMERIC: 1700, DATE: 1082, TIME: 1083, TIMESTAMP: 1114, TIMESTAMPTZ: 1184, MONEY: 790 } as const;

const keepText = (value: string): string => value;

/** `2024-05-01 10:00:00.123` (no zone) → `2024-05-01T10:00:00.123`: the wall-clock value, unshifted. */
const timestampText = (value: string): string => value.replace(' ', 'T');

/** `2024-05-01 10:00:00+02` → RFC 3339 in UTC. */
const timestamptzText = (value: string): string => {
  const ms = Date.parse(value.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));
  return Number.isNaN(ms) ? value : new Date(ms).toISOString();
};

/** Parsers by type OID; types not listed keep the driver's default. */
export const postgresTextParsers: Readonly<Record<number, (value: string) => unknown>> = {
  [OID.INT8]: keepText,
  [OID.NUMERIC]: keepText,
  [OID.MONEY]: keepText,
  [OID.DATE]: keepText,
  [OID.TIME]: keepText,
  [OID.TIMESTAMP]: timestampText,
  [OID.TIMESTAMPTZ]: timestamptzText,
};
