// The audit store stopped and restarted under a steady load, cycle after cycle, and what the answers and the store say
// about it afterwards: how long after the store accepted connections the gateway was back to only 2xx, 2xx without
// an event, intents closed as unknown although their request's event is stored.
import type { Knex } from 'knex';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PgServer } from './postgres.js';
import type { LoadAnswer, LoadRequest } from './steady-load.js';

/** The load the store restarts run under (demo ERP): 20% creates, 20% updates of existing customers, 60% reads by key. */
export function restartLoadRequest(n: number): LoadRequest {
  if (n % 5 === 0) return { method: 'POST', path: '/customers', body: { name: `restart customer restart-${n}`, region: 'APAC' } };
  if (n % 5 === 1) return { method: 'PATCH', path: `/customers/${(n % 200) + 1}`, body: { region: n % 2 === 0 ? 'EMEA' : 'APAC' } };
  return { method: 'GET', path: `/customers/${(n % 300) + 1}` };
}

export interface RestartWindow {
  readonly how: 'stop' | 'kill -9';
  readonly stoppedAt: number;
  /** When the restarted store first answered a query (polled every few tens of ms, so at most that late). */
  readonly acceptingAt: number;
}

export interface RestartOptions {
  readonly store: PgServer;
  /** The load's answers so far (appended to while the cycles run). */
  readonly answers: readonly LoadAnswer[];
  readonly cycles: number;
  /** How long the store stays down once requests are refused. */
  readonly downMs?: number;
  /** How long the load runs on after each restart before the next stop. */
  readonly upMs?: number;
  /** Called `recoveryMs` after each restart (e.g. to read the writer's counters). */
  readonly afterRecovery?: { readonly ms: number; readonly call: (window: RestartWindow) => void };
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(25);
  }
  throw new Error(`timed out waiting until ${what}`);
}

/** Stops the store (a clean fast shutdown and a crash of every backend, alternately) and starts it again, `cycles` times. */
export async function restartStoreCycles(options: RestartOptions): Promise<RestartWindow[]> {
  const { store, answers } = options;
  const windows: RestartWindow[] = [];
  await waitFor('requests are served', () => answers.filter((a) => a.status >= 200 && a.status < 300).length >= 50);
  for (let cycle = 0; cycle < options.cycles; cycle++) {
    const how = cycle % 2 === 0 ? 'stop' : 'kill -9';
    const stoppedAt = Date.now();
    if (how === 'stop') await store.stop();
    else await store.kill9();
    await waitFor('requests are refused', () => answers.slice(-3).every((a) => a.status === 503 && a.at > stoppedAt), 10_000);
    await sleep(options.downMs ?? 300);
    await store.start();
    const window = { how, stoppedAt, acceptingAt: Date.now() } as const;
    windows.push(window);
    const after = options.afterRecovery;
    if (after) {
      await sleep(after.ms);
      after.call(window);
    }
    await sleep(Math.max(0, (options.upMs ?? 1_800) - (after?.ms ?? 0)));
  }
  return windows;
}

export interface CycleFigures {
  readonly how: RestartWindow['how'];
  /** Answers that arrived from the store's return to the next stop. */
  readonly answered: number;
  /** Of them, not 2xx. */
  readonly refused: readonly LoadAnswer[];
  /** From the store accepting connections to the last answer that was not 2xx (0: none). */
  readonly backToAll2xxMs: number;
  /** Answers not 2xx that arrived `recoveryMs` or more after the store accepted connections. */
  readonly lateFailures: readonly LoadAnswer[];
}

export interface RestartFigures {
  readonly cycles: readonly CycleFigures[];
  readonly requests: number;
  readonly ok: number;
  /** Answers other than 2xx and 503 audit_unavailable (what the gateway may answer while its store is down). */
  readonly odd: readonly LoadAnswer[];
  /** 2xx answers whose request event is not in the store. */
  readonly unaudited: readonly LoadAnswer[];
  /** Intents with neither their request's event nor an outcome. */
  readonly openIntents: number;
  /** Request ids whose intents were closed as unknown although their request's own event is stored. */
  readonly falseUnknown: readonly string[];
  readonly unknownOutcomes: number;
  /** Records stored more than once (one id twice). */
  readonly duplicated: number;
}

const isOk = (a: LoadAnswer): boolean => a.status >= 200 && a.status < 300;

/** Reads the answers per cycle, and the store once every intent is closed (or `closeTimeoutMs` passed). */
export async function restartFigures(
  answers: readonly LoadAnswer[],
  windows: readonly RestartWindow[],
  storeDb: Knex,
  recoveryMs: number,
  closeTimeoutMs = 30_000,
): Promise<RestartFigures> {
  const cycles = windows.map((w, i): CycleFigures => {
    const until = windows[i + 1]?.stoppedAt ?? Infinity;
    const after = answers.filter((a) => a.at >= w.acceptingAt && a.at < until);
    const refused = after.filter((a) => !isOk(a));
    return {
      how: w.how,
      answered: after.length,
      refused,
      backToAll2xxMs: refused.length === 0 ? 0 : Math.max(...refused.map((a) => a.at)) - w.acceptingAt,
      lateFailures: refused.filter((a) => a.at >= w.acceptingAt + recoveryMs),
    };
  });
  const ok = answers.filter(isOk);
  const stored = new Set(
    ((await storeDb('audit_events').where({ kind: 'request' }).select('request_id')) as Array<{ request_id: string }>).map((r) => r.request_id),
  );
  const openIntents = async (): Promise<number> => {
    const row = (await storeDb('audit_events as i')
      .where('i.kind', 'intent')
      .whereNotExists(function () {
        this.select(storeDb.raw('1')).from('audit_events as e').whereRaw('e.ref = i.ref').whereIn('e.kind', ['request', 'outcome']);
      })
      .count({ n: '*' })
      .first()) as { n: string };
    return Number(row.n);
  };
  const deadline = Date.now() + closeTimeoutMs;
  let open = await openIntents();
  while (open > 0 && Date.now() < deadline) {
    await sleep(100);
    open = await openIntents();
  }
  const falseUnknown = (await storeDb('audit_events as o')
    .where({ 'o.kind': 'outcome', 'o.outcome': 'unknown' })
    .whereExists(function () {
      this.select(storeDb.raw('1')).from('audit_events as r').whereRaw('r.id = o.ref');
    })
    .pluck('o.request_id')) as string[];
  const unknown = (await storeDb('audit_events').where({ kind: 'outcome', outcome: 'unknown' }).count({ n: '*' }).first()) as { n: string };
  const twice = (await storeDb('audit_events').groupBy('id').havingRaw('count(*) > 1').select('id')) as unknown[];
  return {
    cycles,
    requests: answers.length,
    ok: ok.length,
    odd: answers.filter((a) => !isOk(a) && !(a.status === 503 && a.code === 'audit_unavailable')),
    unaudited: ok.filter((a) => !stored.has(a.requestId)),
    openIntents: open,
    falseUnknown,
    unknownOutcomes: Number(unknown.n),
    duplicated: twice.length,
  };
}

/** The middle value (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
