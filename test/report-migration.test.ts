// The migration report from a simulated workload with a known answer, sent through the running gateway (so its events
// are real): cloud and on-prem callers told apart by zone through a trusted proxy's X-Forwarded-For. Every table gets
// its expected recommendation and reasons in every format, over HTTP and from the command line; the HTML page opens
// in a real Chromium with its charts and no console error.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { chromium } from 'playwright-core';
import YAML from 'yaml';
import { CHROMIUM, chromiumSkipReason } from './support/chromium.js';
import { gatehouse } from './support/gatehouse-cli.js';
import { freshDatabase, testPostgres } from './support/pg-env.js';
import { startGateway, testConfig, type TestGateway } from './support/gateway.js';
import { ERP_SPEC, projectRoot } from './support/project.js';
import { seedErp } from '../src/demo/erp-schema.js';

const pg = testPostgres();
const skip = 'skip' in pg ? pg.skip : false;
const ISSUER = 'https://idp.report-test.example';
const AUDIENCE = 'gatehouse';
const SECRET = 'report-test-secret-0123456789-abcdefghij';
const OUTPUT = path.join(projectRoot, 'test', 'output', 'report-migration');

const CLOUD = '10.20.0.7';
const ONPREM = '10.0.5.9';

/** The known answer: each table's recommendation and the reason codes it must carry. */
const EXPECTED: Record<string, { recommendation: string; reasons: string[] }> = {
  items: { recommendation: 'migrate', reasons: ['cloud_traffic', 'no_writes'] },
  'order-lines': { recommendation: 'migrate', reasons: ['cloud_traffic', 'no_writes', 'co_access_group'] },
  orders: { recommendation: 'replicate', reasons: ['cloud_reads', 'onprem_writes', 'co_access_group', 'foreign_key_split'] },
  customers: { recommendation: 'keep', reasons: ['sensitive_onprem_only', 'sensitive_data'] },
  'customer-notes': { recommendation: 'keep', reasons: ['blocked', 'no_key', 'cloud_traffic'] },
  'customer-balances': { recommendation: 'retire', reasons: ['unused'] },
};

async function token(client: string, scopes: string[]): Promise<string> {
  return new SignJWT({ scope: scopes.join(' '), client_id: client })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(`${client}-user`)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));
}

interface ReportJson {
  window: { from: string; to: string };
  generatedAt: string;
  empty: boolean;
  summary: { tables: number; requests: number; recommendations: Record<string, number> };
  tables: Array<{
    source: string;
    table: string;
    resource: string;
    recommendation: string;
    score: number;
    reasons: Array<{ code: string; text: string }>;
    metrics: {
      requests: number;
      reads: number;
      writes: number;
      byOperation: Record<string, number>;
      denials: number;
      rowsRead: number;
      bytesOut: number;
      principals: number;
      clients: number;
      cloudShare: number | null;
      zones: Array<{ zone: string | null; requests: number; share: number; cloud: boolean }>;
      byHour: number[];
      byDay: Array<{ day: string; zones: Record<string, number> }>;
      size: { estimatedRows: number | null; bytes: number | null };
      latencyMs: { p50: number | null; p95: number | null };
    };
    columns: Array<{ property: string; selected: number; filtered: number; ordered: number; neverRead: boolean }>;
    sensitivity: { pii: string[] };
    blockers: Array<{ code: string }>;
    group: string | null;
  }>;
  groups: Array<{ id: string; tables: string[] }>;
}

function assertExpected(report: ReportJson): void {
  assert.deepEqual(report.tables.map((t) => t.resource).sort(), Object.keys(EXPECTED).sort());
  for (const t of report.tables) {
    const want = EXPECTED[t.resource]!;
    assert.equal(t.recommendation, want.recommendation, `${t.resource}: ${JSON.stringify(t.reasons)}`);
    const codes = t.reasons.map((r) => r.code);
    for (const code of want.reasons) assert.ok(codes.includes(code), `${t.resource} lacks reason ${code}: ${codes.join(', ')}`);
    for (const r of t.reasons) assert.match(r.text, /^[A-Z0-9].+[.:]/, `${t.resource}/${r.code} is a plain sentence`);
  }
  assert.deepEqual(report.summary.recommendations, { migrate: 2, replicate: 1, keep: 2, retire: 1 });
}

describe('migration report from a simulated workload', { skip }, () => {
  let gw: TestGateway;
  let reporter: string;
  let dir: string;
  let configFile: string;
  let since: string;
  let until: string;

  before(async () => {
    const dataUrl = await freshDatabase('report_data');
    const storeUrl = await freshDatabase('report_store');
    const raw = {
      network: {
        trustedProxies: ['127.0.0.1/32', '::1/128'],
        zones: { 'cloud-east': ['10.20.0.0/16'], onprem: ['10.0.0.0/16'] },
        allow: ['cloud-east', 'onprem', '127.0.0.0/8', '::1/128'],
      },
      policies: {
        rules: [
          { name: 'erp-read', scopes: ['items:read', 'orders:read', 'order-lines:read', 'customers:read', 'customer-notes:read'], resource: '*', operations: ['read'] },
          { name: 'orders-write', scopes: ['orders:write'], resource: 'orders', operations: ['write'] },
        ],
      },
      report: { coAccess: { minSharedMinutes: 1, minShare: 0.5 } },
    };
    gw = await startGateway({
      config: testConfig({
        source: { client: 'pg', url: dataUrl },
        store: storeUrl,
        auth: { issuers: [{ issuer: ISSUER, audience: AUDIENCE, keys: [{ algorithms: ['HS256'], secret: SECRET }] }] },
        extra: raw,
      }),
      seed: seedErp,
    });
    since = new Date(Date.now() - 60_000).toISOString();
    const call = (bearer: string, ip: string) => (req: ReturnType<TestGateway['http']['get']>) =>
      req.set('Authorization', `Bearer ${bearer}`).set('X-Forwarded-For', ip);
    const shop = call(await token('shop-app', ['items:read']), CLOUD);
    const stock = call(await token('stock-app', ['items:read']), ONPREM);
    const portal = call(await token('portal-app', ['orders:read', 'order-lines:read']), CLOUD);
    const batch = call(await token('erp-batch', ['orders:read', 'orders:write']), ONPREM);
    const crm = call(await token('crm-app', ['customers:read']), ONPREM);
    const support = call(await token('support-app', ['customer-notes:read']), CLOUD);
    const ok = (res: { status: number; body: unknown }, status = 200): void => assert.equal(res.status, status, JSON.stringify(res.body));
    for (let i = 0; i < 30; i += 1) ok(await shop(gw.http.get(`/items?select=code,description,unitCost&order=code&limit=5&offset=${i}`)));
    for (let i = 0; i < 2; i += 1) ok(await stock(gw.http.get('/items?discontinued=is.false&limit=3')));
    for (let i = 0; i < 20; i += 1) {
      ok(await portal(gw.http.get(`/orders/${10001 + i}`)));
      ok(await portal(gw.http.get(`/order-lines?orderNo=eq.${10001 + i}`)));
    }
    for (let i = 0; i < 8; i += 1) ok(await batch(gw.http.patch(`/orders/${10001 + i}`).send({ status: 'SHIPPED' })), 204);
    for (let i = 0; i < 15; i += 1) ok(await crm(gw.http.get(`/customers/${i + 1}?select=id,name,email`)));
    // A cloud caller without the scope: refused, so it counts as a denial, not as cloud use of customers.
    for (let i = 0; i < 3; i += 1) ok(await shop(gw.http.get('/customers/1')), 403);
    for (let i = 0; i < 12; i += 1) ok(await support(gw.http.get('/customer-notes?limit=2')));
    until = new Date(Date.now() + 60_000).toISOString();
    await gw.db.raw('analyze');
    reporter = await token('planner', ['reports:read']);

    dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-report-'));
    configFile = path.join(dir, 'gatehouse.yaml');
    await writeFile(
      configFile,
      YAML.stringify({
        spec: ERP_SPEC,
        sources: { erp: { client: 'pg', connection: dataUrl } },
        store: { client: 'pg', connection: storeUrl },
        auth: { disabled: true },
        ...raw,
      }),
    );
    await mkdir(OUTPUT, { recursive: true });
  });
  after(async () => {
    await gw?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const report = (query: string, accept = 'application/json') =>
    gw.http.get(`/_gatehouse/reports/migration?since=${encodeURIComponent(since)}&until=${encodeURIComponent(until)}${query}`).set('Authorization', `Bearer ${reporter}`).set('Accept', accept);

  it('when a planner asks for JSON, then every table gets its expected recommendation, reasons and metrics', async () => {
    const res = await report('');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.match(res.headers['content-type'] ?? '', /^application\/json/);
    const body = res.body as ReportJson;
    assertExpected(body);
    assert.equal(body.window.from, since);
    assert.equal(body.empty, false);
    const byName = new Map(body.tables.map((t) => [t.resource, t]));
    const items = byName.get('items')!;
    assert.equal(items.metrics.requests, 32);
    assert.equal(items.metrics.reads, 32);
    assert.equal(items.metrics.byOperation.list, 32);
    assert.equal(items.metrics.clients, 2);
    assert.equal(items.metrics.rowsRead, 30 * 5 + 2 * 3);
    assert.ok(items.metrics.bytesOut > 0);
    assert.equal(Math.round(items.metrics.cloudShare! * 100), 94);
    assert.equal(items.metrics.zones.find((z) => z.zone === 'cloud-east')?.requests, 30);
    assert.equal(items.metrics.zones.find((z) => z.zone === 'cloud-east')?.cloud, true);
    assert.equal(items.metrics.byHour.reduce((a, b) => a + b, 0), 32);
    assert.ok(items.metrics.latencyMs.p95! >= items.metrics.latencyMs.p50!);
    // From the database's statistics (the data was analysed after seeding).
    assert.equal(items.metrics.size.estimatedRows, 200);
    assert.ok(items.metrics.size.bytes! > 8192);
    // Column usage comes from the plans: selected, filtered and ordered properties, and those never read.
    const col = (name: string) => items.columns.find((c) => c.property === name)!;
    // Every list is ordered by its key in the plan (keyset paging), whether or not the caller asked for an order.
    assert.equal(col('code').ordered, 32);
    assert.equal(col('discontinued').filtered, 2);
    assert.equal(col('description').selected, 32);
    const orders = byName.get('orders')!;
    assert.equal(orders.metrics.writes, 8);
    assert.equal(orders.metrics.byOperation.update, 8);
    assert.equal(orders.metrics.byOperation.read, 20);
    const customers = byName.get('customers')!;
    assert.equal(customers.metrics.denials, 3);
    assert.equal(customers.metrics.cloudShare, 0);
    assert.deepEqual(customers.sensitivity.pii.sort(), ['email', 'name', 'street']);
    assert.ok(customers.columns.find((c) => c.property === 'creditLimit')?.neverRead);
    assert.deepEqual(byName.get('customer-notes')!.blockers.map((b) => b.code), ['no_key']);
    assert.deepEqual(byName.get('customer-balances')!.blockers.map((b) => b.code), ['view_dependencies']);
    // orders and order-lines are read by the same client within the same minutes: one group.
    const group = body.groups.find((g) => g.tables.includes('orders'));
    assert.deepEqual(group?.tables, ['order-lines', 'orders']);
    assert.equal(orders.group, group?.id);
  });

  it('when a planner asks for CSV, Markdown or HTML, then each carries the same recommendations and reasons', async () => {
    const csv = await report('', 'text/csv');
    assert.equal(csv.status, 200);
    assert.match(csv.headers['content-type'] ?? '', /^text\/csv/);
    const [header, ...rows] = csv.text.trim().split('\r\n');
    const columns = header!.split(',');
    assert.equal(rows.length, 6);
    for (const row of rows) {
      const cells = row.split(',');
      const resource = cells[columns.indexOf('resource')]!;
      assert.equal(cells[columns.indexOf('recommendation')], EXPECTED[resource]!.recommendation);
      for (const code of EXPECTED[resource]!.reasons) assert.ok(cells[columns.indexOf('reason_codes')]!.split(' ').includes(code), `${resource} csv ${code}`);
    }
    const md = await report('', 'text/markdown');
    assert.match(md.headers['content-type'] ?? '', /^text\/markdown/);
    const html = await report('&format=html', 'application/json');
    assert.match(html.headers['content-type'] ?? '', /^text\/html/);
    for (const [resource, want] of Object.entries(EXPECTED)) {
      assert.match(md.text, new RegExp(`^## ${resource} \\(erp\\.[A-Z\\\\_]+\\): ${want.recommendation}$`, 'm'));
      for (const code of want.reasons) {
        assert.ok(md.text.includes(`**${code}**`), `${resource} md ${code}`);
        assert.ok(html.text.includes(`data-code="${code}"`), `${resource} html ${code}`);
      }
      assert.ok(html.text.includes(`data-resource="${resource}"`));
    }
    assert.doesNotMatch(html.text, /<script src=|<link |https?:\/\/(?!www\.w3\.org)/, 'the page loads nothing from elsewhere');
    await writeFile(path.join(OUTPUT, 'report.html'), html.text);
  });

  it('when the caller lacks reports:read or sends nothing, then 403 / 401; bad parameters are 400; an unknown type 406', async () => {
    assert.equal((await gw.http.get('/_gatehouse/reports/migration')).status, 401);
    const forbidden = await gw.http.get('/_gatehouse/reports/migration').set('Authorization', `Bearer ${await token('shop-app', ['items:read'])}`);
    assert.equal(forbidden.status, 403);
    assert.equal(forbidden.body.code, 'insufficient_scope');
    const cases: Array<[string, string]> = [
      ['since=yesterday', 'invalid_window'],
      ['since=7x', 'invalid_window'],
      ['source=ERP', 'unknown_source'],
      ['format=pdf', 'invalid_parameter'],
      ['colour=blue', 'invalid_parameter'],
    ];
    for (const [query, code] of cases) {
      const res = await gw.http.get(`/_gatehouse/reports/migration?${query}`).set('Authorization', `Bearer ${reporter}`);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.code, code, query);
      assert.match(res.headers['content-type'] ?? '', /application\/problem\+json/);
    }
    const reversed = await gw.http.get(`/_gatehouse/reports/migration?since=${encodeURIComponent(until)}&until=${encodeURIComponent(since)}`).set('Authorization', `Bearer ${reporter}`);
    assert.equal(reversed.body.code, 'invalid_window');
    assert.equal((await report('', 'application/pdf')).status, 406);
  });

  it('when a report is requested, then the request itself is audited with its window', async () => {
    await report('').set('X-Request-Id', 'report-audited');
    const rows = (await gw.storeDb('audit_events').where({ request_id: 'report-audited', kind: 'request' })) as Array<Record<string, unknown>>;
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.operation_id, 'gatehouseMigrationReport');
    assert.equal(rows[0]!.subject, 'planner-user');
    const detail = (typeof rows[0]!.detail === 'string' ? JSON.parse(rows[0]!.detail) : rows[0]!.detail) as { report: { window: { from: string } } };
    assert.equal(detail.report.window.from, since);
  });

  it('when the window holds no request, then the report is valid and says so', async () => {
    const res = await gw.http.get('/_gatehouse/reports/migration?since=2001-01-01&until=2001-02-01').set('Authorization', `Bearer ${reporter}`);
    assert.equal(res.status, 200);
    const body = res.body as ReportJson & { notes: string[] };
    assert.equal(body.empty, true);
    assert.ok(body.notes.some((n) => n.startsWith('No request reached any table')));
    assert.ok(body.tables.every((t) => t.recommendation === 'retire'));
  });

  it('when the command line writes JSON to stdout and CSV to a file, then both carry the expected recommendations', async () => {
    const json = await gatehouse(['report', 'migration', '--config', configFile, '--since', since, '--until', until, '--quiet']);
    assert.equal(json.code, 0, json.stderr);
    assertExpected(JSON.parse(json.stdout) as ReportJson);
    for (const format of ['csv']) {
      const out = path.join(dir, `report.${format}`);
      const res = await gatehouse(['report', 'migration', '--config', configFile, '--since', since, '--until', until, '--format', format, '--out', out]);
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.stderr, /6 tables, \d+ requests: 2 migrate, 1 replicate, 2 keep, 1 retire/);
      const text = await readFile(out, 'utf8');
      for (const [resource, want] of Object.entries(EXPECTED)) {
        assert.ok(text.includes(resource), `${format}: ${resource}`);
        for (const code of want.reasons) assert.ok(text.includes(code), `${format}: ${resource} ${code}`);
      }
    }
  });

  it('when the HTML page opens in Chromium, then it draws a chart per table, sorts its summary, and logs no error', { skip: chromiumSkipReason() ?? false }, async () => {
    const html = await readFile(path.join(OUTPUT, 'report.html'), 'utf8');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
      });
      page.on('pageerror', (e) => problems.push(e.message));
      // Anything the page tried to fetch would be a request: it must make none.
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.setContent(html, { waitUntil: 'load' });
      const charts = await page.locator('svg.traffic-chart').count();
      assert.equal(charts, 6);
      const painted = await page.locator('svg.traffic-chart[data-table="items"] rect').count();
      assert.ok(painted >= 1);
      const box = await page.locator('svg.traffic-chart[data-table="items"]').boundingBox();
      assert.ok(box && box.width > 300 && box.height > 100);
      // Sort by score, descending (two clicks): a migrate table comes first.
      const score = page.locator('table.summary th', { hasText: 'score' });
      await score.click();
      await score.click();
      const first = await page.locator('table.summary tbody tr').first().getAttribute('data-resource');
      assert.ok(['items', 'order-lines'].includes(first ?? ''), `first by score: ${first}`);
      await page.screenshot({ path: path.join(OUTPUT, 'report.png'), fullPage: true });
      assert.deepEqual(problems, []);
      assert.deepEqual(requests.filter((u) => !u.startsWith('about:') && !u.startsWith('data:')), []);
    } finally {
      await browser.close();
    }
  });
});
