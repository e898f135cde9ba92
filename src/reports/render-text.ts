// The report as CSV (one row per table) and as Markdown; both carry the same recommendations and reasons as the JSON.
import type { MigrationReport, TableReport } from './types.js';

const CSV_COLUMNS: ReadonlyArray<readonly [string, (t: TableReport) => string | number | null]> = [
  ['source', (t) => t.source],
  ['table', (t) => t.table],
  ['resource', (t) => t.resource],
  ['kind', (t) => t.kind],
  ['recommendation', (t) => t.recommendation],
  ['score', (t) => t.score],
  ['reason_codes', (t) => t.reasons.map((r) => r.code).join(' ')],
  ['reasons', (t) => t.reasons.map((r) => r.text).join(' ')],
  ['requests', (t) => t.metrics.requests],
  ['reads', (t) => t.metrics.reads],
  ['writes', (t) => t.metrics.writes],
  ['rows_read', (t) => t.metrics.rowsRead],
  ['rows_written', (t) => t.metrics.rowsWritten],
  ['bytes_out', (t) => t.metrics.bytesOut],
  ['errors', (t) => t.metrics.errors],
  ['denials', (t) => t.metrics.denials],
  ['p50_ms', (t) => t.metrics.latencyMs.p50],
  ['p95_ms', (t) => t.metrics.latencyMs.p95],
  ['first_access', (t) => t.metrics.firstAccess],
  ['last_access', (t) => t.metrics.lastAccess],
  ['principals', (t) => t.metrics.principals],
  ['clients', (t) => t.metrics.clients],
  ['cloud_share', (t) => share(t.metrics.cloudShare)],
  ['cloud_row_share', (t) => share(t.metrics.cloudRowShare)],
  ['cloud_read_share', (t) => share(t.metrics.cloudReadShare)],
  ['onprem_write_share', (t) => share(t.metrics.onPremWriteShare)],
  ['estimated_rows', (t) => t.metrics.size.estimatedRows],
  ['size_bytes', (t) => t.metrics.size.bytes],
  ['pii_columns', (t) => t.sensitivity.pii.join(' ')],
  ['confidential_columns', (t) => t.sensitivity.confidential.join(' ')],
  ['blockers', (t) => t.blockers.map((b) => b.code).join(' ')],
  ['never_read_columns', (t) => t.columns.filter((c) => c.neverRead).map((c) => c.property).join(' ')],
  ['group', (t) => t.group],
];

function share(n: number | null): string | null {
  return n === null ? null : n.toFixed(3);
}

/** RFC 4180; a cell that a spreadsheet would run as a formula is prefixed with a quote. */
function csvCell(value: string | number | null): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function renderCsv(report: MigrationReport): string {
  const lines = [CSV_COLUMNS.map(([name]) => name).join(',')];
  for (const t of report.tables) lines.push(CSV_COLUMNS.map(([, get]) => csvCell(get(t))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

const pct = (n: number | null): string => (n === null ? '–' : `${Math.round(n * 100)}%`);
const md = (text: string): string => text.replace(/[|\\`*_[\]<>]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');

export function renderMarkdown(report: MigrationReport): string {
  const out: string[] = [];
  const s = report.summary.recommendations;
  out.push('# Migration-candidate report', '');
  out.push(`Window: ${report.window.from} – ${report.window.to} · generated ${report.generatedAt}`, '');
  out.push(`${report.summary.tables} tables, ${report.summary.requests} requests: **${s.migrate} migrate**, **${s.replicate} replicate**, **${s.keep} keep**, **${s.retire} retire**.`, '');
  out.push(`Cloud zones: ${report.zones.cloud.length > 0 ? report.zones.cloud.join(', ') : 'none'}`, '');
  for (const note of report.notes) out.push(`> ${md(note)}`, '');
  out.push('| table | resource | recommendation | score | requests | cloud share | on-prem writes | reasons |', '|---|---|---|---:|---:|---:|---:|---|');
  for (const t of report.tables) {
    out.push(
      `| ${md(`${t.source}.${t.table}`)} | ${md(t.resource)} | **${t.recommendation}** | ${t.score} | ${t.metrics.requests} | ${pct(t.metrics.cloudShare)} | ${pct(t.metrics.onPremWriteShare)} | ${t.reasons.map((r) => `\`${r.code}\``).join(' ')} |`,
    );
  }
  out.push('');
  for (const t of report.tables) {
    out.push(`## ${md(t.resource)} (${md(`${t.source}.${t.table}`)}): ${t.recommendation}`, '');
    for (const r of t.reasons) out.push(`- **${r.code}**: ${md(r.text)}`);
    const m = t.metrics;
    out.push(
      '',
      `Requests ${m.requests} (reads ${m.reads}, writes ${m.writes}; errors ${m.errors}, denials ${m.denials}), rows read ${m.rowsRead}, written ${m.rowsWritten}, ${m.bytesOut} bytes out; ` +
        `p50 ${m.latencyMs.p50 ?? '–'} ms, p95 ${m.latencyMs.p95 ?? '–'} ms; ${m.principals} principals, ${m.clients} clients; ` +
        `first ${m.firstAccess ?? '–'}, last ${m.lastAccess ?? '–'}; size ${m.size.estimatedRows ?? '–'} rows, ${m.size.bytes ?? '–'} bytes.`,
    );
    const zones = m.zones.filter((z) => z.requests > 0).map((z) => `${z.zone ?? '(none)'}${z.cloud ? ' (cloud)' : ''} ${pct(z.share)}`);
    if (zones.length > 0) out.push('', `Zones: ${zones.join(', ')}.`);
    const never = t.columns.filter((c) => c.neverRead).map((c) => c.property);
    const filtered = t.columns.filter((c) => c.filtered > 0).map((c) => c.property);
    if (filtered.length > 0) out.push('', `Filtered on: ${md(filtered.join(', '))}.`);
    if (never.length > 0) out.push('', `Never read in the window: ${md(never.join(', '))}.`);
    out.push('');
  }
  if (report.groups.length > 0) {
    out.push('## Co-access groups', '');
    for (const g of report.groups) out.push(`- **${g.id}**: ${md(g.tables.join(', '))} (recommended ${g.recommendations.join(' / ')})`);
    out.push('');
  }
  return `${out.join('\n')}\n`;
}
