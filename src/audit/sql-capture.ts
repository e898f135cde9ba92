// Captures every SQL statement a data source runs and files it under the request that ran it (AsyncLocalStorage).
import type { AsyncLocalStorage } from 'node:async_hooks';
import type { Knex } from 'knex';
import type { RequestContext } from '../http/context.js';

export interface CapturedSource {
  readonly name: string;
  readonly db: Knex;
}

interface QueryEvent {
  readonly __knexQueryUid?: string;
  readonly sql?: string;
  readonly bindings?: readonly unknown[];
}

type Entry = ReturnType<NonNullable<RequestContext['audit']>['openStatement']>;

/** Starts listening on each source's knex; returns a function that stops. */
export function captureSql(sources: readonly CapturedSource[], storage: AsyncLocalStorage<RequestContext>): () => void {
  const detachers = sources.map((source) => {
    const open = new Map<string, { entry: Entry; started: bigint }>();
    const onQuery = (q: QueryEvent): void => {
      const audit = storage.getStore()?.audit;
      if (!audit || typeof q.sql !== 'string') return;
      const uid = q.__knexQueryUid;
      if (uid !== undefined && open.has(uid)) return;
      const entry = audit.openStatement(source.name, q.sql, q.bindings ?? []);
      // Transaction control statements (BEGIN / COMMIT) carry no id and get no response event.
      if (uid !== undefined) open.set(uid, { entry, started: process.hrtime.bigint() });
    };
    const finish = (q: QueryEvent, rows: number | null, error: string | null): void => {
      const uid = q.__knexQueryUid;
      const item = uid === undefined ? undefined : open.get(uid);
      if (!item) return;
      open.delete(uid!);
      item.entry.durationMs = Math.round((Number(process.hrtime.bigint() - item.started) / 1e6) * 1000) / 1000;
      item.entry.rows = rows;
      item.entry.error = error;
    };
    const onResponse = (response: unknown, q: QueryEvent): void => finish(q, rowCount(response), null);
    const onError = (err: unknown, q: QueryEvent): void => {
      const code = (err as { code?: unknown } | undefined)?.code;
      finish(q, null, typeof code === 'string' || typeof code === 'number' ? String(code) : 'error');
    };
    source.db.on('query', onQuery);
    source.db.on('query-response', onResponse);
    source.db.on('query-error', onError);
    return () => {
      source.db.off('query', onQuery);
      source.db.off('query-response', onResponse);
      source.db.off('query-error', onError);
      open.clear();
    };
  });
  return () => detachers.forEach((d) => d());
}

/** Rows returned (or changed, when the driver only reports a count). */
function rowCount(response: unknown): number | null {
  if (Array.isArray(response)) return response.length;
  if (typeof response === 'number') return response;
  if (response && typeof response === 'object') {
    const r = response as { rowCount?: unknown; rows?: unknown; affectedRows?: unknown };
    if (typeof r.rowCount === 'number') return r.rowCount;
    if (typeof r.affectedRows === 'number') return r.affectedRows;
    if (Array.isArray(r.rows)) return r.rows.length;
  }
  return null;
}
