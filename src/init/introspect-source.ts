// Reads a source's catalog through its dialect, turning "cannot connect" into a clear SourceInputError.
import type { DbCatalog } from '../db/catalog.js';
import type { DataSource } from '../db/sources.js';
import { didYouMean } from '../util/did-you-mean.js';
import { SourceInputError } from './source-input-error.js';

/** The schema unqualified names mean on this source (configured, else the dialect's). */
export function defaultSchemaOf(source: DataSource): string {
  return source.config.defaultSchema ?? source.dialect.defaultSchema;
}

/** Where the source points, without credentials: `pg 10.0.0.5:5432/erp`, `pglite ./data`. */
export function describeSource(source: DataSource): string {
  if (source.config.client === 'pglite') return `pglite ${source.config.connection}`;
  try {
    const url = new URL(source.config.connection);
    return `${source.config.client} ${url.host}${url.pathname}`;
  } catch {
    return source.config.client;
  }
}

/** Fails with `source_unreachable` when the database does not answer; otherwise returns the catalog. */
export async function introspectSource(source: DataSource, schemas: readonly string[]): Promise<DbCatalog> {
  try {
    await source.db.raw('select 1');
  } catch (err) {
    throw new SourceInputError(
      'source_unreachable',
      `cannot reach source "${source.name}" (${describeSource(source)}): ${reasonOf(err)}`,
    );
  }
  return source.dialect.introspect(source.db, { schemas });
}

/** Fails with `unknown_schema` (and a suggestion) when a requested schema is not in the catalog. */
export function requireSchemas(source: DataSource, requested: readonly string[], catalog: DbCatalog): void {
  const missing = requested.filter((s) => !catalog.schemas.includes(s));
  if (missing.length === 0) return;
  const available = catalog.availableSchemas ?? [];
  const parts = missing.map((s) => `"${s}"${didYouMean(s, available)}`);
  throw new SourceInputError(
    'unknown_schema',
    `source "${source.name}" has no schema ${parts.join(', ')}` +
      (available.length > 0 ? `; its schemas are: ${available.join(', ')}` : ''),
  );
}

function reasonOf(err: unknown): string {
  const e = err as { code?: string; message?: string; name?: string };
  if (e?.name === 'KnexTimeoutError') return 'no connection within the acquire timeout';
  const message = typeof e?.message === 'string' ? e.message.split('\n')[0]! : String(err);
  return e?.code && !message.includes(e.code) ? `${e.code}: ${message}` : message;
}
