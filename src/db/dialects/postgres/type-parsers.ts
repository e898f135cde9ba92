// How PostgreSQL values become JSON: exact numerics and calendar values stay text, so nothing is rounded or shifted.

const OID = { INT8: 20, NUMERIC: 1700, DATE: 1082, TIME: 1083, TIMESTAMP: 1114, TIMESTAMPTZ: 1184, MONEY: 790 } as const;

const keepText = (value: string): string => value;

/** `2024-05-01 10:00:00.123` (no zone) → `2024-05-01T10:00:00.123`: the wall-clock value, unshifted. */
const timestampText = (value: string): string => value.replace(' ', 'T');

const TIMESTAMPTZ = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?([+-]\d\d(?::\d\d)?)$/;

/**
 * `2024-05-01 10:00:00.1234+02` → `2024-05-01T08:00:00.123400Z`: RFC 3339 in UTC. The microseconds are kept,
 * because a Date would drop them, and a keyset cursor made from a rounded value repeats or skips rows.
 * Values outside what this handles (BC, infinity, offsets with seconds) pass through as PostgreSQL wrote them.
 */
const timestamptzText = (value: string): string => {
  // The common case, a session in UTC: `2024-05-01 10:00:00.12+00` is rewritten in place, no Date involved (this runs
  // once per value of every row read, and a whole-table export reads millions).
  if (value.length >= 22 && value.endsWith('+00') && value.charCodeAt(10) === 32 && value.charCodeAt(4) === 45) {
    const fraction = value.length === 22 ? '' : value.slice(20, -3);
    if (value.length === 22 || (value.charCodeAt(19) === 46 && fraction.length <= 6)) {
      const digits = fraction.padEnd(fraction.length <= 3 ? 3 : 6, '0');
      return `${value.slice(0, 10)}T${value.slice(11, 19)}.${digits}Z`;
    }
  }
  const match = TIMESTAMPTZ.exec(value);
  if (!match) return value;
  const [, date, time, fraction = '', offset = ''] = match;
  const ms = Date.parse(`${date}T${time}${offset.length === 3 ? `${offset}:00` : offset}`);
  // Milliseconds as Date prints them, or all six digits when there is more than a millisecond to say.
  const digits = fraction.padEnd(fraction.length <= 3 ? 3 : 6, '0');
  return Number.isNaN(ms) ? value : new Date(ms).toISOString().replace(/\.\d{3}Z$/, `.${digits}Z`);
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
