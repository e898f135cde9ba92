// The report's window from `since` / `until`: a duration back from now (`30d`, `12h`, `2w`, `90m`) or an ISO date.
import { parseTime } from '../audit/event-query.js';
import { ValidationError } from '../errors/app-error.js';

export interface ReportWindow {
  readonly from: Date;
  readonly to: Date;
}

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const DURATION = /^([1-9][0-9]{0,5})([mhdw])$/;

/** `since` defaults to `defaultSince` before `until`; `until` to now. Bad input: 400 invalid_window naming the parameter. */
export function parseReportWindow(
  input: { readonly since?: string; readonly until?: string },
  defaultSince: string,
  now: Date = new Date(),
): ReportWindow {
  const to = input.until === undefined || input.until === '' ? now : point('until', input.until, now);
  const from = point('since', input.since === undefined || input.since === '' ? defaultSince : input.since, to);
  if (from.getTime() >= to.getTime()) {
    throw new ValidationError('invalid_window', `"since" (${from.toISOString()}) must be before "until" (${to.toISOString()})`);
  }
  return { from, to };
}

function point(name: string, raw: string, anchor: Date): Date {
  const duration = DURATION.exec(raw);
  if (duration) return new Date(anchor.getTime() - Number(duration[1]) * UNIT_MS[duration[2] as keyof typeof UNIT_MS]);
  // A bare number would be read as a year by Date: refuse it rather than guess a unit.
  if (/^\d+$/.test(raw) || !/^\d{4}-\d{2}-\d{2}/.test(raw)) {
    throw new ValidationError(
      'invalid_window',
      `"${name}" must be a duration such as 30d, 12h, 2w or 90m, or an ISO 8601 date such as 2026-11-01`,
    );
  }
  try {
    return parseTime(name, raw);
  } catch {
    throw new ValidationError('invalid_window', `"${name}" is not a valid date: ${raw.slice(0, 40)}`);
  }
}
