// The report as one self-contained HTML page: sortable summary, recommendation matrix, a traffic chart per table,
// co-access groups and every reason in words. No external script, style sheet or font.
import { esc, hourChart, legend, trafficChart, zoneColours } from './svg-charts.js';
import { NO_ZONE } from './table-metrics.js';
import { RECOMMENDATIONS, type MigrationReport, type TableReport } from './types.js';

const pct = (n: number | null): string => (n === null ? '–' : `${Math.round(n * 100)}%`);
const num = (n: number | null): string => (n === null ? '–' : n.toLocaleString('en-US'));
const bytes = (n: number | null): string => {
  if (n === null) return '–';
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i += 1;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
};

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2329;background:#f6f7f9}
main{max-width:1180px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 10px}h3{font-size:16px;margin:0 0 6px}
.muted{color:#5d6873}.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}
.card{background:#fff;border:1px solid #dde1e5;border-radius:8px;padding:12px 16px}
.big{font-size:26px;font-weight:600}
table{border-collapse:collapse;background:#fff;width:100%}th,td{border-bottom:1px solid #e5e8eb;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#eef1f4;font-weight:600}th.sortable{cursor:pointer;user-select:none}th.sortable:after{content:" ⇅";color:#9aa3ab}
td.n,th.n{text-align:right}.rec{display:inline-block;border-radius:10px;padding:1px 9px;font-weight:600;font-size:12px}
.rec-migrate{background:#d7ecfb;color:#0b4472}.rec-replicate{background:#e4e0fa;color:#3b2a8c}.rec-keep{background:#fde8cf;color:#7a430b}.rec-retire{background:#e6e8ea;color:#3c444c}
.matrix td{text-align:center}.dot{font-size:18px}
.table-card{background:#fff;border:1px solid #dde1e5;border-radius:8px;padding:16px;margin:14px 0}
.charts{display:flex;gap:20px;flex-wrap:wrap;align-items:flex-end}.key{margin-right:10px;font-size:12px}.key i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
ul.reasons{margin:8px 0 8px 18px;padding:0}code{background:#eef1f4;padding:0 4px;border-radius:3px}
.cols td,.cols th{font-size:12px;padding:3px 6px}.note{background:#fff7e0;border:1px solid #f0d48a;border-radius:6px;padding:8px 12px}
`;

// Sorts the summary table by the clicked column (numbers numerically, by their data-v value).
const SCRIPT = `
document.querySelectorAll('table.sortable').forEach(function (table) {
  table.querySelectorAll('th.sortable').forEach(function (th, col) {
    th.addEventListener('click', function () {
      var body = table.tBodies[0];
      var dir = th.dataset.dir === 'asc' ? 'desc' : 'asc';
      th.dataset.dir = dir;
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[col].dataset.v, y = b.cells[col].dataset.v;
        var nx = Number(x), ny = Number(y);
        var c = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : String(x).localeCompare(String(y));
        return dir === 'asc' ? c : -c;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
});
`;

export function renderHtml(report: MigrationReport): string {
  const cloud = new Set(report.zones.cloud);
  const isCloud = (z: string): boolean => cloud.has(z);
  const zones = [...new Set([...report.zones.all, ...report.tables.flatMap((t) => t.metrics.byDay.flatMap((d) => Object.keys(d.zones)))])];
  if (!zones.includes(NO_ZONE)) zones.push(NO_ZONE);
  const colours = zoneColours(zones, isCloud, NO_ZONE);
  const from = new Date(report.window.from);
  const to = new Date(report.window.to);
  const s = report.summary.recommendations;
  const parts: string[] = [];
  parts.push(
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">`,
    `<title>Migration-candidate report ${esc(report.window.from.slice(0, 10))} – ${esc(report.window.to.slice(0, 10))}</title><style>${STYLE}</style></head><body><main>`,
    `<h1>Migration-candidate report</h1><div class="muted">Window ${esc(report.window.from)} – ${esc(report.window.to)} · generated ${esc(report.generatedAt)} · cloud zones: ${esc(report.zones.cloud.join(', ') || 'none')}</div>`,
    `<div class="cards"><div class="card"><div class="big">${report.summary.tables}</div>tables</div><div class="card"><div class="big">${num(report.summary.requests)}</div>requests</div>`,
    ...RECOMMENDATIONS.map((r) => `<div class="card"><div class="big">${s[r]}</div><span class="rec rec-${r}">${r}</span></div>`),
    `</div>`,
  );
  for (const note of report.notes) parts.push(`<p class="note">${esc(note)}</p>`);
  parts.push(`<h2>Summary</h2>`, summaryTable(report.tables));
  parts.push(`<h2>Tables × recommendation</h2>`, matrix(report.tables));
  if (report.groups.length > 0) {
    parts.push(`<h2>Co-access groups</h2><p class="muted">Tables the same clients use within the same minutes: move each group together.</p><ul>`);
    for (const g of report.groups) {
      const pairs = g.pairs.map((p) => `${esc(p.a)} + ${esc(p.b)}: ${p.sharedMinutes} shared minutes (${pct(p.share)})`).join('; ');
      parts.push(`<li class="group" data-group="${esc(g.id)}"><b>${esc(g.id)}</b>: ${esc(g.tables.join(', '))} — recommended ${esc(g.recommendations.join(' / '))}<br><span class="muted">${pairs}</span></li>`);
    }
    parts.push(`</ul>`);
  }
  parts.push(`<h2>Tables</h2><p>${legend(zones, colours, isCloud)}</p>`);
  for (const t of report.tables) parts.push(tableCard(t, { from, to, zones, colours }));
  parts.push(`</main><script>${SCRIPT}</script></body></html>`);
  return parts.join('\n');
}

function summaryTable(tables: readonly TableReport[]): string {
  const head = ['table', 'resource', 'recommendation', 'score', 'requests', 'cloud share', 'on-prem writes', 'clients', 'rows (est.)', 'size', 'last access'];
  const numeric = new Set(['score', 'requests', 'cloud share', 'on-prem writes', 'clients', 'rows (est.)', 'size']);
  const rows = tables.map((t) => {
    const m = t.metrics;
    const cells: Array<[string, string | number, boolean]> = [
      [esc(`${t.source}.${t.table}`), `${t.source}.${t.table}`, false],
      [`<a href="#t-${esc(t.resource)}">${esc(t.resource)}</a>`, t.resource, false],
      [`<span class="rec rec-${t.recommendation}">${t.recommendation}</span>`, t.recommendation, false],
      [String(t.score), t.score, true],
      [num(m.requests), m.requests, true],
      [pct(m.cloudShare), m.cloudShare ?? -1, true],
      [pct(m.onPremWriteShare), m.onPremWriteShare ?? -1, true],
      [num(m.clients), m.clients, true],
      [num(m.size.estimatedRows), m.size.estimatedRows ?? -1, true],
      [bytes(m.size.bytes), m.size.bytes ?? -1, true],
      [esc(m.lastAccess?.slice(0, 16).replace('T', ' ') ?? '–'), m.lastAccess ?? '', false],
    ];
    return `<tr data-resource="${esc(t.resource)}">${cells.map(([html, v, n]) => `<td${n ? ' class="n"' : ''} data-v="${esc(String(v))}">${html}</td>`).join('')}</tr>`;
  });
  return `<table class="sortable summary"><thead><tr>${head.map((h) => `<th class="sortable${numeric.has(h) ? ' n' : ''}">${h}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function matrix(tables: readonly TableReport[]): string {
  const rows = tables.map(
    (t) => `<tr><th>${esc(t.resource)}</th>${RECOMMENDATIONS.map((r) => `<td>${t.recommendation === r ? `<span class="dot rec-${r}" title="${r}">●</span>` : ''}</td>`).join('')}</tr>`,
  );
  return `<table class="matrix"><thead><tr><th></th>${RECOMMENDATIONS.map((r) => `<th><span class="rec rec-${r}">${r}</span></th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

interface CardContext {
  readonly from: Date;
  readonly to: Date;
  readonly zones: readonly string[];
  readonly colours: ReadonlyMap<string, string>;
}

function tableCard(t: TableReport, ctx: CardContext): string {
  const m = t.metrics;
  const zoneLine = m.zones
    .filter((z) => z.requests > 0)
    .map((z) => `${esc(z.zone ?? NO_ZONE)}${z.cloud ? ' (cloud)' : ''}: ${pct(z.share)} of requests, ${pct(z.rowShare)} of rows`)
    .join(' · ');
  const ops = Object.entries(m.byOperation).map(([k, v]) => `${esc(k)} ${num(v)}`).join(', ');
  const cols = t.columns
    .map(
      (c) =>
        `<tr><td>${esc(c.property)}</td><td>${esc(c.column)}</td><td>${esc(c.classification ?? '')}</td><td class="n">${num(c.selected)}</td><td class="n">${num(c.filtered)}</td><td class="n">${num(c.ordered)}</td><td>${c.neverRead ? 'never read' : ''}</td></tr>`,
    )
    .join('');
  const fks = t.foreignKeys.map((f) => `${esc(f.columns.join(', '))} → ${esc(f.references.table)} (${esc(f.references.resource ?? 'not exposed')})`).join('; ');
  return [
    `<section class="table-card" id="t-${esc(t.resource)}" data-resource="${esc(t.resource)}">`,
    `<h3>${esc(t.resource)} <span class="muted">${esc(`${t.source}.${t.table}`)} · ${esc(t.kind)}</span> <span class="rec rec-${t.recommendation}">${t.recommendation}</span> <span class="muted">score ${t.score}${t.group ? ` · group ${esc(t.group)}` : ''}</span></h3>`,
    `<ul class="reasons">${t.reasons.map((r) => `<li data-code="${esc(r.code)}">${esc(r.text)} <code>${esc(r.code)}</code></li>`).join('')}</ul>`,
    `<div class="charts">${trafficChart({ id: t.resource, from: ctx.from, to: ctx.to, days: m.byDay, zones: ctx.zones, colours: ctx.colours })}${hourChart(t.resource, m.byHour)}</div>`,
    `<p class="muted">${num(m.requests)} requests (${num(m.reads)} reads, ${num(m.writes)} writes: ${ops || 'none'}); ${num(m.errors)} errors, ${num(m.denials)} denials; ` +
      `${num(m.rowsRead)} rows read, ${num(m.rowsWritten)} written, ${bytes(m.bytesOut)} out; p50 ${m.latencyMs.p50 ?? '–'} ms, p95 ${m.latencyMs.p95 ?? '–'} ms; ` +
      `${num(m.principals)} principals, ${num(m.clients)} clients; first ${esc(m.firstAccess ?? '–')}, last ${esc(m.lastAccess ?? '–')}.</p>`,
    zoneLine ? `<p>${zoneLine}</p>` : '',
    fks ? `<p>Foreign keys: ${fks}</p>` : '',
    `<details><summary>Columns (${t.columns.length})</summary><table class="cols"><thead><tr><th>property</th><th>column</th><th>class</th><th class="n">selected</th><th class="n">filtered</th><th class="n">ordered</th><th></th></tr></thead><tbody>${cols}</tbody></table></details>`,
    `</section>`,
  ].join('');
}
