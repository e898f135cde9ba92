// Audit records as NDJSON lines or CSV rows (RFC 4180; cells that a spreadsheet would run as formulas are defused).
import type { AuditRecord } from './event.js';

export type ExportFormat = 'ndjson' | 'csv';

export const EXPORT_CONTENT_TYPES: Record<ExportFormat, string> = {
  ndjson: 'application/x-ndjson',
  csv: 'text/csv; charset=utf-8',
};

const CSV_COLUMNS: ReadonlyArray<[string, (r: AuditRecord) => unknown]> = [
  ['instance_id', (r) => r.instanceId],
  ['seq', (r) => r.seq],
  ['id', (r) => r.id],
  ['kind', (r) => r.kind],
  ['ref', (r) => r.ref],
  ['occurred_at', (r) => r.occurredAt],
  ['recorded_at', (r) => r.recordedAt],
  ['request_id', (r) => r.requestId],
  ['method', (r) => r.method],
  ['path', (r) => r.path],
  ['route', (r) => r.route],
  ['operation_id', (r) => r.operationId],
  ['resource', (r) => r.resource],
  ['status', (r) => r.status],
  ['outcome', (r) => r.outcome],
  ['error_code', (r) => r.errorCode],
  ['denied_by', (r) => r.deniedBy],
  ['latency_ms', (r) => r.latencyMs],
  ['rows', (r) => r.rows],
  ['subject', (r) => r.principal?.subject],
  ['client_id', (r) => r.principal?.clientId],
  ['scopes', (r) => r.principal?.scopes.join(' ')],
  ['token_id', (r) => r.principal?.tokenId],
  ['client_ip', (r) => r.client.ip],
  ['forwarded_for', (r) => r.client.forwardedFor.join(', ')],
  ['zone', (r) => r.client.zone],
  ['peer_ip', (r) => r.client.peer],
  ['statements', (r) => (r.statements.length > 0 ? JSON.stringify(r.statements) : '')],
  ['detail', (r) => (r.detail ? JSON.stringify(r.detail) : '')],
  ['prev_hash', (r) => r.prevHash],
  ['hash', (r) => r.hash],
];

export function exportHeader(format: ExportFormat): string {
  return format === 'csv' ? `${CSV_COLUMNS.map(([name]) => name).join(',')}\r\n` : '';
}

export function exportLine(format: ExportFormat, record: AuditRecord): string {
  if (format === 'ndjson') return `${JSON.stringify(record)}\n`;
  return `${CSV_COLUMNS.map(([, get]) => csvCell(get(record))).join(',')}\r\n`;
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
