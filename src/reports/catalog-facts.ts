// What the source database says about each reported table, read through the source's dialect: size from its
// statistics, keys, foreign keys, and the things that stop a table moving as it is (triggers, rules, partitions,
// view dependencies, unportable types).
import { relationKey, type RelationStatistics } from '../db/catalog.js';
import type { DataSource } from '../db/sources.js';
import type { TableRef } from '../openapi/resource.js';

export type CatalogFacts = RelationStatistics;

export type CatalogResult = { readonly ok: true; readonly facts: ReadonlyMap<string, CatalogFacts> } | { readonly ok: false; readonly reason: string };

/** `schema.name` as the facts are keyed. */
export const tableKey = relationKey;

export async function catalogFacts(source: DataSource, tables: readonly TableRef[]): Promise<CatalogResult> {
  const schema = source.config.defaultSchema ?? source.dialect.defaultSchema;
  try {
    const facts = await source.dialect.statistics(
      source.db,
      tables.map((t) => ({ schema: t.schema ?? schema, name: t.name })),
    );
    return { ok: true, facts };
  } catch (err) {
    // A source that is down must not sink the whole report: its tables say their facts are unknown.
    return { ok: false, reason: `the ${source.name} database could not be read (${(err as { code?: string }).code ?? 'error'})` };
  }
}
