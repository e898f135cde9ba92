// Start-up check of every x-gatehouse binding against the live schema; fills in keys and view flags.
import { SpecError, StartupError } from '../errors/app-error.js';
import { findRelation, type DbCatalog, type DbColumn, type DbRelation } from '../db/catalog.js';
import type { DataSources } from '../db/sources.js';
import { didYouMean } from '../util/did-you-mean.js';
import type { Operation, Resource } from './resource.js';

/**
 * Each source's catalog of its default schema, read ahead while the gateway is still loading (the catalog queries of a
 * 1,000-table database take a few hundred milliseconds of the database's time, which the start-up would otherwise wait
 * for). checkBindings uses one when its source's resources are all in that schema, and reads the catalog itself
 * otherwise; a failed read is left for checkBindings to meet and report.
 */
export type CatalogsReadAhead = ReadonlyMap<string, { readonly schemas: readonly string[]; readonly catalog: Promise<DbCatalog | undefined> }>;

export function readCatalogsAhead(sources: DataSources): CatalogsReadAhead {
  return new Map(
    sources.all().map((source) => {
      const schemas = [defaultSchemaOf(source)];
      const catalog = source.dialect.introspect(source.db, { schemas }).catch(() => undefined);
      return [source.name, { schemas, catalog }] as const;
    }),
  );
}

export async function checkBindings(
  resources: readonly Resource[],
  operations: readonly Operation[],
  sources: DataSources,
  readAhead?: CatalogsReadAhead,
): Promise<void> {
  const problems: string[] = [];
  const catalogs = new Map<string, DbCatalog>();
  for (const name of new Set(resources.map((r) => r.source))) {
    const source = sources.get(name);
    if (!source) {
      const known = sources.all().map((s) => s.name);
      problems.push(`x-gatehouse.source: "${name}" is not a configured source${didYouMean(name, known)}`);
      continue;
    }
    const schemas = [
      ...new Set(resources.filter((r) => r.source === name).map((r) => r.table.schema ?? defaultSchemaOf(source))),
    ];
    const ahead = readAhead?.get(name);
    const early = ahead && sameSchemas(ahead.schemas, schemas) ? await ahead.catalog : undefined;
    if (early) {
      catalogs.set(name, early);
      continue;
    }
    try {
      catalogs.set(name, await source.dialect.introspect(source.db, { schemas }));
    } catch (err) {
      // Not a fault of the document: the database did not answer.
      const reason = ((err as Error).message ?? String(err)).split('\n')[0];
      throw new StartupError(`cannot read the schema of source "${name}" (${reason}); check sources.${name}.connection and that the database is up`, {
        cause: err,
      });
    }
  }
  // Indexed once: on a 1,000-table contract, a scan of every relation and operation per resource took a second.
  const relations = new Map<DbCatalog, Map<string, DbRelation>>();
  for (const catalog of catalogs.values()) relations.set(catalog, new Map(catalog.relations.map((r) => [`${r.schema}\u0000${r.name}`, r])));
  const operationsOf = new Map<Resource, Operation[]>();
  for (const op of operations) operationsOf.set(op.resource, [...(operationsOf.get(op.resource) ?? []), op]);
  for (const resource of resources) {
    const catalog = catalogs.get(resource.source);
    const source = sources.get(resource.source);
    if (!catalog || !source) continue;
    const schema = resource.table.schema ?? defaultSchemaOf(source);
    // Under a case-insensitive collation SQL Server resolves a name whatever its case (Babelfish reports views in lower case).
    const relation =
      relations.get(catalog)!.get(`${schema}\u0000${resource.table.name}`) ??
      (catalog.caseInsensitiveNames ? findRelation(catalog, schema, resource.table.name) : undefined);
    checkResource(resource, catalog, relation, schema, operationsOf.get(resource) ?? [], problems);
  }
  if (problems.length > 0) throw new SpecError(problems);
}

function sameSchemas(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((schema) => b.includes(schema));
}

function defaultSchemaOf(source: { config: { defaultSchema: string | undefined }; dialect: { defaultSchema: string } }) {
  return source.config.defaultSchema ?? source.dialect.defaultSchema;
}

function checkResource(
  resource: Resource,
  catalog: DbCatalog,
  relation: DbRelation | undefined,
  schema: string,
  ops: readonly Operation[],
  problems: string[],
): void {
  const at = `resource "${resource.name}" (${resource.collectionPath ?? resource.itemPath})`;
  if (!relation) {
    const names = catalog.relations.filter((r) => r.schema === schema).map((r) => r.name);
    const schemaNote = catalog.schemas.includes(schema) ? '' : ` (schema "${schema}" does not exist)`;
    problems.push(
      `${at}: table or view "${schema}.${resource.table.name}" does not exist${schemaNote}${didYouMean(resource.table.name, names)}`,
    );
    return;
  }
  const dbColumns = new Set(relation.columns.map((c) => c.name));
  for (const dbColumn of relation.columns) {
    const column = resource.byColumn.get(dbColumn.name);
    if (column && isZoneless(dbColumn)) column.zoneless = true;
  }
  for (const column of resource.columns.values()) {
    if (!dbColumns.has(column.column)) {
      problems.push(
        `${at}: property "${column.name}" maps to column "${column.column}", which ${relation.name} does not have${didYouMean(column.column, dbColumns)}`,
      );
    }
  }
  resource.isView = relation.kind === 'view';
  if (relation.hasTriggers) resource.hasTriggers = true;
  if (resource.key.length === 0) resolveKeyFromPrimaryKey(resource, relation, at, problems);

  if (resource.isView && !resource.writable) {
    for (const op of ops.filter((o) => o.kind !== 'list' && o.kind !== 'read')) {
      problems.push(
        `${at}: ${op.method.toUpperCase()} ${op.path} writes to a view; views are read-only unless the binding sets writable: true`,
      );
    }
  }
  const itemOps = ops.filter((o) => o.pathParams.length > 0);
  for (const op of itemOps) {
    if (op.pathParams.length !== resource.key.length) {
      problems.push(
        `${at}: ${op.path} has ${op.pathParams.length} path parameter(s) but the key (${resource.key.join(', ') || 'none'}) has ${resource.key.length}`,
      );
    }
  }
}

/** Date and time types without a time zone, by the catalog's type names (SQL Server's `timestamp` is a row version). */
const ZONELESS = {
  postgres: new Set(['timestamp', 'time', 'timestamp without time zone', 'time without time zone']),
  mssql: new Set(['datetime', 'datetime2', 'smalldatetime', 'time']),
};

function isZoneless(column: DbColumn): boolean {
  return ZONELESS[column.typeSystem ?? 'postgres'].has(column.dataType.toLowerCase());
}

function resolveKeyFromPrimaryKey(resource: Resource, relation: DbRelation, at: string, problems: string[]): void {
  if (relation.primaryKey.length === 0) {
    problems.push(
      `${at}: ${relation.name} has no primary key; name the identifying properties in x-gatehouse.key`,
    );
    return;
  }
  const key: string[] = [];
  for (const column of relation.primaryKey) {
    const property = resource.byColumn.get(column);
    if (!property) {
      problems.push(`${at}: primary key column "${column}" is not exposed by any property; expose it or set x-gatehouse.key`);
      return;
    }
    key.push(property.name);
  }
  resource.key = key;
}
