// A mixed read / create / update load on the ERP customers for crash runs (each write carries a marker value of its
// own, some an Idempotency-Key), and what the data database and the audit store say about every request afterwards:
// 2xx without a committed event, writes answered as failures that committed anyway, writes without an intent, intents
// left open or falsely closed as unknown.
import type { Knex } from 'knex';

export type CrashKind = 'read' | 'create' | 'update';

export interface CrashRequest {
  readonly requestId: string;
  readonly kind: CrashKind;
  /** The value a write stores (a create's name, an update's street): unique to this request. */
  readonly marker: string | undefined;
  readonly keyed: boolean;
  /** 'no response': the connection failed before an answer (the gateway died with it, or was already gone). */
  status: number | 'no response';
  code: string | undefined;
}

export interface MixedLoadOptions {
  readonly url: string;
  readonly workers: number;
  readonly maxPerWorker: number;
  /** Request ids are `${prefix}-${worker}-${i}`; keep it free of `_` and `%` (it is matched with LIKE). */
  readonly prefix: string;
  /** Reads go to customers 1…readRows. */
  readonly readRows: number;
  /** Every n-th write carries an Idempotency-Key (0: none). */
  readonly keyEvery: number;
}

export interface MixedLoad {
  readonly sent: CrashRequest[];
  /** Answers so far. */
  answered(): number;
  /** No new requests from now on. */
  stop(): void;
  /** Resolves once every worker has stopped. */
  readonly done: Promise<void>;
}

/** The marker prefix: a marker is `${MARKER}${requestId}`. */
const MARKER = 'crash ';

/**
 * Workers send read, create, read, update, …; an update changes the street of a row its worker created (answered 2xx)
 * and nothing else changed, so its marker stays visible unless the update did not commit.
 */
export function startMixedLoad(options: MixedLoadOptions): MixedLoad {
  const sent: CrashRequest[] = [];
  let stopped = false;
  let answered = 0;
  let writes = 0;
  const worker = async (w: number): Promise<void> => {
    const created: number[] = [];
    for (let i = 0; i < options.maxPerWorker && !stopped; i++) {
      const requestId = `${options.prefix}-${w}-${i}`;
      const planned = (['read', 'create', 'read', 'update'] as const)[i % 4]!;
      const target = planned === 'update' ? created.shift() : undefined;
      const kind: CrashKind = planned === 'update' && target === undefined ? 'read' : planned;
      const keyed = kind !== 'read' && options.keyEvery > 0 && writes++ % options.keyEvery === 0;
      const entry: CrashRequest = { requestId, kind, marker: kind === 'read' ? undefined : `${MARKER}${requestId}`, keyed, status: 'no response', code: undefined };
      sent.push(entry);
      const headers: Record<string, string> = { 'X-Request-Id': requestId, 'Content-Type': 'application/json' };
      if (keyed) headers['Idempotency-Key'] = requestId;
      try {
        const res =
          kind === 'read'
            ? await fetch(`${options.url}/customers/${((w * 37 + i) % options.readRows) + 1}`, { headers })
            : kind === 'create'
              ? await fetch(`${options.url}/customers`, {
                  method: 'POST',
                  // The new row's id, for the update that follows.
                  headers: { ...headers, Prefer: 'return=representation' },
                  body: JSON.stringify({ name: entry.marker, region: 'EMEA' }),
                })
              : await fetch(`${options.url}/customers/${target}`, { method: 'PATCH', headers, body: JSON.stringify({ street: entry.marker }) });
        const text = await res.text();
        entry.status = res.status;
        answered += 1;
        if (res.status >= 400) entry.code = codeOf(text);
        else if (kind === 'create') {
          const id = (JSON.parse(text) as { id?: unknown }).id;
          if (typeof id === 'number') created.push(id);
        }
      } catch {
        // The connection died with the gateway: the client saw no answer.
      }
    }
  };
  const done = Promise.all(Array.from({ length: options.workers }, (_, w) => worker(w))).then(() => undefined);
  return { sent, answered: () => answered, stop: () => (stopped = true), done };
}

function codeOf(text: string): string | undefined {
  try {
    return (JSON.parse(text) as { code?: string }).code;
  } catch {
    return undefined;
  }
}

export interface CrashFigures {
  readonly answered: number;
  readonly ok: number;
  /** Requests answered with a status other than 2xx, by status and code. */
  readonly refusals: Readonly<Record<string, number>>;
  /** Writes with no answer. */
  readonly cutOffWrites: number;
  /** Of those, how many committed (allowed: the client must ask). */
  readonly cutOffCommitted: number;
  /** Requests answered 2xx without a committed request event of that status (lost). */
  readonly unaudited: readonly string[];
  /** Writes answered 2xx whose change is not in the data. */
  readonly lostWrites: readonly string[];
  /** Writes answered with a failure (any status but 2xx) whose change committed. */
  readonly acknowledgedThenFailed: readonly string[];
  /** Changes in the data with no intent in the audit store. */
  readonly withoutIntent: readonly string[];
  /** Changes in the data more than once (a create applied twice). */
  readonly appliedTwice: readonly string[];
  /** Intents with neither their request's event nor an outcome. */
  readonly openIntents: readonly string[];
  /** Intents closed as unknown. */
  readonly unknown: number;
  /** Closed as unknown although the request's own event is stored. */
  readonly falseUnknown: readonly string[];
}

interface StoredRecord {
  id: string;
  kind: string;
  request_id: string;
  ref: string;
  status: number | null;
  outcome: string;
}

/** Reads the data and the store for the requests of one load (after the gateway was restarted). */
export async function crashFigures(load: { readonly sent: readonly CrashRequest[]; readonly prefix: string }, dataDb: Knex, storeDb: Knex): Promise<CrashFigures> {
  const { sent, prefix } = load;
  const records = (await storeDb('audit_events')
    .where('request_id', 'like', `${prefix}-%`)
    .select('id', 'kind', 'request_id', 'ref', 'status', 'outcome')) as StoredRecord[];
  const requestEvents = new Map(records.filter((r) => r.kind === 'request').map((r) => [r.request_id, r]));
  const intents = records.filter((r) => r.kind === 'intent');
  const intentIds = new Set(intents.map((r) => r.request_id));
  const closed = new Set(records.filter((r) => r.kind !== 'intent').map((r) => r.ref));
  const ids = new Set(records.map((r) => r.id));
  const unknown = records.filter((r) => r.kind === 'outcome' && r.outcome === 'unknown');

  // Every marker the data holds, with how often.
  const markers = new Map<string, number>();
  const like = `${MARKER}${prefix}-%`;
  const names = (await dataDb('CUST_MSTR').where('CUST_NAME', 'like', like).pluck('CUST_NAME')) as string[];
  const streets = (await dataDb('CUST_MSTR').where('Straße', 'like', like).pluck('Straße')) as string[];
  for (const m of [...names, ...streets]) markers.set(m, (markers.get(m) ?? 0) + 1);

  const writes = sent.filter((s) => s.kind !== 'read');
  const ok = (s: CrashRequest): boolean => typeof s.status === 'number' && s.status >= 200 && s.status < 300;
  const committed = (s: CrashRequest): boolean => s.marker !== undefined && markers.has(s.marker);
  const refusals: Record<string, number> = {};
  for (const s of sent) {
    if (typeof s.status !== 'number' || ok(s)) continue;
    const key = `${s.status}${s.code ? ` ${s.code}` : ''}`;
    refusals[key] = (refusals[key] ?? 0) + 1;
  }
  const cutOff = writes.filter((s) => s.status === 'no response');
  const byMarker = new Map(writes.map((s) => [s.marker!, s.requestId]));
  return {
    answered: sent.filter((s) => typeof s.status === 'number').length,
    ok: sent.filter(ok).length,
    refusals,
    cutOffWrites: cutOff.length,
    cutOffCommitted: cutOff.filter(committed).length,
    unaudited: sent.filter((s) => ok(s) && requestEvents.get(s.requestId)?.status !== s.status).map((s) => s.requestId),
    lostWrites: writes.filter((s) => ok(s) && !committed(s)).map((s) => s.requestId),
    acknowledgedThenFailed: writes.filter((s) => typeof s.status === 'number' && !ok(s) && committed(s)).map((s) => s.requestId),
    withoutIntent: [...markers.keys()].map((m) => byMarker.get(m) ?? m).filter((id) => !intentIds.has(id)),
    appliedTwice: [...markers].filter(([, n]) => n > 1).map(([m]) => byMarker.get(m) ?? m),
    openIntents: intents.filter((i) => !closed.has(i.ref)).map((i) => i.request_id),
    unknown: unknown.length,
    falseUnknown: unknown.filter((o) => ids.has(o.ref)).map((o) => o.request_id),
  };
}
