// Row responses in the format the caller accepts: JSON (default), NDJSON or CSV.
import type { Request, Response } from 'express';
import { NotAcceptableError } from '../errors/app-error.js';

const FORMATS = ['application/json', 'application/x-ndjson', 'text/csv'] as const;

export function sendRows(
  req: Request,
  res: Response,
  status: number,
  headers: Record<string, string>,
  rows: readonly Record<string, unknown>[],
  columns: readonly string[],
): void {
  if (res.headersSent) return;
  const format = req.accepts([...FORMATS]);
  if (format === false) throw new NotAcceptableError(`this endpoint answers in ${FORMATS.join(', ')}`);
  res.status(status).set(headers).vary('Accept');
  if (format === 'application/x-ndjson') {
    res.type('application/x-ndjson').send(rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : ''));
  } else if (format === 'text/csv') {
    const lines = [columns.map(csvCell).join(','), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(','))];
    res.type('text/csv; charset=utf-8').send(lines.join('\r\n') + '\r\n');
  } else {
    res.json(rows);
  }
}

/** RFC 4180 quoting; a leading = + - @ is prefixed so spreadsheets do not run it as a formula. */
function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(text) && typeof value === 'string') text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
