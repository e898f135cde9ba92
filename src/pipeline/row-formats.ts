// Rows as the caller asked for them: a JSON array, NDJSON (one object per line) or CSV (RFC 4180, with a header row).
import type { RowFormat } from './operation-input.js';

export const CONTENT_TYPES: Record<RowFormat, string> = {
  'application/json': 'application/json; charset=utf-8',
  'application/x-ndjson': 'application/x-ndjson; charset=utf-8',
  'text/csv': 'text/csv; charset=utf-8',
};

export function formatRows(format: RowFormat, rows: readonly Record<string, unknown>[], columns: readonly string[]): string {
  if (format === 'application/x-ndjson') return rows.map((r) => JSON.stringify(r)).join('\n') + (rows.length ? '\n' : '');
  if (format === 'text/csv') return csvHeader(columns) + rows.map((r) => csvLine(r, columns)).join('');
  return JSON.stringify(rows);
}

export function csvHeader(columns: readonly string[]): string {
  return `${columns.map(csvCell).join(',')}\r\n`;
}

export function csvLine(row: Readonly<Record<string, unknown>>, columns: readonly string[]): string {
  return `${columns.map((c) => csvCell(row[c])).join(',')}\r\n`;
}

/** RFC 4180 quoting; a leading = + - @ is prefixed so spreadsheets do not run it as a formula. */
function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (/^[=+\-@\t\r]/.test(text) && typeof value === 'string') text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
