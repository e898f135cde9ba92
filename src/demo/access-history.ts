// The demo's simulated month of access history: request events from cloud and on-prem clients, appended to the audit
// log through its writer (so they are chained and verify like any other), so that the migration report has a story.
import type { Auditor } from '../audit/auditor.js';
import { EVENTS_TABLE } from '../audit/event-row.js';
import type { AuditContent } from '../audit/event.js';
import type { Operation, OperationKind } from '../openapi/resource.js';
import { newId } from '../util/ids.js';

/** The demo's zones: what the simulated callers' addresses fall in (see demo-config.ts). */
export const DEMO_ZONES = { 'cloud-vpn': ['10.20.0.0/16'], onprem: ['10.0.0.0/16'] } as const;

interface Client {
  readonly id: string;
  readonly subject: string;
  readonly ip: string;
  readonly zone: 'cloud-vpn' | 'onprem';
  readonly scopes: readonly string[];
}

/** One kind of visit: a client uses these resources, in this order, within a minute. */
interface Visit {
  readonly client: Client;
  readonly steps: ReadonlyArray<{ readonly resource: string; readonly kind: OperationKind; readonly select?: readonly string[]; readonly filter?: readonly string[] }>;
  /** Visits per working day. */
  readonly perDay: number;
}

const shop: Client = { id: 'shop-web', subject: 'svc-shop', ip: '10.20.4.17', zone: 'cloud-vpn', scopes: ['items:read'] };
const portal: Client = { id: 'customer-portal', subject: 'svc-portal', ip: '10.20.8.3', zone: 'cloud-vpn', scopes: ['orders:read', 'order-lines:read'] };
const batch: Client = { id: 'erp-batch', subject: 'svc-erp-batch', ip: '10.0.2.40', zone: 'onprem', scopes: ['orders:write', 'order-lines:write'] };
const warehouse: Client = { id: 'warehouse-desk', subject: 'k.meyer', ip: '10.0.7.12', zone: 'onprem', scopes: ['items:read'] };
const crm: Client = { id: 'crm-desk', subject: 'a.okafor', ip: '10.0.6.21', zone: 'onprem', scopes: ['customers:read', 'customer-notes:read', 'customer-notes:write'] };

const VISITS: readonly Visit[] = [
  // The catalogue is browsed from the cloud shop: a candidate to move next to it.
  { client: shop, perDay: 60, steps: [{ resource: 'items', kind: 'list', select: ['code', 'description', 'unitCost'], filter: ['discontinued'] }, { resource: 'items', kind: 'read' }] },
  { client: warehouse, perDay: 2, steps: [{ resource: 'items', kind: 'list', filter: ['code'] }] },
  // Orders are read by the cloud portal (header and lines together) but written by the on-prem ERP batch: replicate.
  { client: portal, perDay: 40, steps: [{ resource: 'orders', kind: 'list', filter: ['customerId'] }, { resource: 'orders', kind: 'read' }, { resource: 'order-lines', kind: 'list', filter: ['orderNo'] }] },
  { client: batch, perDay: 25, steps: [{ resource: 'orders', kind: 'create' }, { resource: 'order-lines', kind: 'create' }, { resource: 'order-lines', kind: 'create' }, { resource: 'orders', kind: 'update' }] },
  // Customers (personal data) and their notes are used by the on-prem CRM desk only: keep.
  { client: crm, perDay: 30, steps: [{ resource: 'customers', kind: 'list', select: ['id', 'name', 'email', 'region'], filter: ['region'] }, { resource: 'customers', kind: 'read' }, { resource: 'customer-notes', kind: 'list', filter: ['customerId'] }] },
  { client: crm, perDay: 6, steps: [{ resource: 'customer-notes', kind: 'create' }] },
  // Nobody reads the customer-balances view: retire it.
];

const METHOD: Readonly<Record<OperationKind, string>> = {
  list: 'GET', read: 'GET', create: 'POST', update: 'PATCH', replace: 'PUT', delete: 'DELETE', updateMany: 'PATCH', deleteMany: 'DELETE',
};

/** Deterministic, so every demo tells the same story. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

export interface HistoryOptions {
  readonly now?: Date;
  readonly days?: number;
}

/** The simulated request events, oldest first. */
export function simulatedHistory(operations: readonly Operation[], options: HistoryOptions = {}): AuditContent[] {
  const now = (options.now ?? new Date()).getTime();
  const days = options.days ?? 30;
  const random = prng(0x5eed);
  const events: AuditContent[] = [];
  const opFor = (resource: string, kind: OperationKind): Operation | undefined =>
    operations.find((o) => o.resource.name === resource && o.kind === kind);
  for (let d = days; d >= 1; d -= 1) {
    const dayStart = Math.floor((now - d * 86_400_000) / 86_400_000) * 86_400_000;
    const weekday = new Date(dayStart).getUTCDay();
    const load = weekday === 0 || weekday === 6 ? 0.2 : 1;
    for (const visit of VISITS) {
      const count = Math.round(visit.perDay * load * (0.7 + random() * 0.6));
      for (let v = 0; v < count; v += 1) {
        // Working hours, 07:00–19:00 UTC, each visit's steps a few seconds apart.
        let t = dayStart + (7 * 3600 + Math.floor(random() * 12 * 3600)) * 1000;
        for (const step of visit.steps) {
          const op = opFor(step.resource, step.kind);
          if (!op) continue;
          t += 500 + Math.floor(random() * 4000);
          events.push(event(op, visit.client, step, t, random));
        }
      }
    }
  }
  return events.filter((e) => Date.parse(e.occurredAt) < now).sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));
}

function event(op: Operation, client: Client, step: Visit['steps'][number], at: number, random: () => number): AuditContent {
  const id = newId();
  const read = op.kind === 'list' || op.kind === 'read';
  const rows = op.kind === 'list' ? 5 + Math.floor(random() * 45) : 1;
  const all = [...op.resource.columns.keys()];
  const path = op.path.replace(/\{[^}]+\}/g, () => String(10001 + Math.floor(random() * 1000)));
  return {
    id,
    kind: 'request',
    ref: id,
    occurredAt: new Date(at).toISOString(),
    requestId: newId(),
    method: METHOD[op.kind],
    path,
    route: op.path,
    operationId: op.operationId,
    resource: op.resource.name,
    status: op.kind === 'create' ? 201 : 200,
    outcome: 'success',
    errorCode: null,
    deniedBy: null,
    latencyMs: Math.round((read ? 3 + random() * 20 : 8 + random() * 40) * 1000) / 1000,
    rows,
    principal: { subject: client.subject, clientId: client.id, scopes: [...client.scopes], roles: [], tokenId: null },
    client: { ip: client.ip, forwardedFor: [client.ip], zone: client.zone, peer: '127.0.0.1' },
    statements: [],
    // Marked as simulated: the demo's history is a story, not a record of requests that ran.
    detail: {
      simulated: true,
      columns: { select: read ? [...(step.select ?? all)] : op.resource.key.slice(), filter: [...(step.filter ?? (op.kind === 'list' ? [] : op.resource.key))], order: op.kind === 'list' ? op.resource.key.slice() : [] },
      bytesOut: read ? rows * (120 + Math.floor(random() * 80)) : 90,
    },
  };
}

/**
 * Appends the history unless the store already has request events (a demo restarted on its --data-dir keeps
 * what it had). Returns how many events were added.
 */
export async function seedAccessHistory(auditor: Auditor, operations: readonly Operation[], options: HistoryOptions = {}): Promise<number> {
  if (await auditor.store.db(EVENTS_TABLE).where({ kind: 'request' }).first('id')) return 0;
  const events = simulatedHistory(operations, options);
  // In slices below the writer's queue size, so the history never crowds out a real request.
  for (let i = 0; i < events.length; i += 1000) await Promise.all(events.slice(i, i + 1000).map((e) => auditor.writer.append(e)));
  return events.length;
}
