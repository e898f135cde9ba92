// Drift between the contract and the live schema: what breaks the document (error) and what is merely new (info).
import { findRelation, type DbCatalog, type DbColumn, type DbRelation } from '../db/catalog.js';
import type { DataSources } from '../db/sources.js';
import { didYouMean } from '../util/did-you-mean.js';
import { introspectSource, defaultSchemaOf } from '../init/introspect-source.js';
import { mapColumn } from '../init/type-mapping.js';
import type { LoadedSpec } from '../openapi/load-spec.js';
import type { JsonSchema, Operation, Resource, ResourceColumn } from '../openapi/resource.js';

export type DriftSeverity = 'error' | 'info';

export type DriftCode =
  | 'relation_missing'
  | 'relation_now_view'
  | 'column_missing'
  | 'type_changed'
  | 'enum_changed'
  | 'now_nullable'
  | 'now_not_null'
  | 'now_required'
  | 'length_narrowed'
  | 'length_widened'
  | 'precision_changed'
  | 'now_generated'
  | 'key_changed'
  | 'key_unenforced'
  | 'column_unexposed'
  | 'relation_unexposed';

export interface DriftFinding {
  readonly severity: DriftSeverity;
  readonly code: DriftCode;
  readonly source: string;
  /** `schema.table` in the database. */
  readonly relation: string;
  /** The document's resource, when the finding concerns one. */
  readonly resource?: string;
  readonly property?: string;
  readonly column?: string;
  readonly message: string;
}

export interface DriftReport {
  readonly findings: readonly DriftFinding[];
  readonly errors: number;
  readonly infos: number;
  /** Resources compared (after the source filter). */
  readonly resources: number;
}

/** One source's live catalog, as diffContract needs it. */
export interface SourceCatalog {
  readonly defaultSchema: string;
  readonly catalog: DbCatalog;
}

/** Formats whose change changes what a value looks like on the wire (a decimal string is not a date string). */
const STRUCTURAL_FORMATS = new Set(['int64', 'decimal', 'date', 'date-time', 'time', 'uuid', 'byte']);
const WRITE_KINDS = new Set<Operation['kind']>(['create', 'update', 'replace', 'updateMany']);

/** Introspects what the document binds (optionally one source) and compares. Unreachable sources throw SourceInputError. */
export async function detectDrift(spec: LoadedSpec, sources: DataSources, options: { source?: string } = {}): Promise<DriftReport> {
  const resources = spec.resources.filter((r) => options.source === undefined || r.source === options.source);
  const catalogs = new Map<string, SourceCatalog>();
  for (const name of new Set(resources.map((r) => r.source))) {
    const source = sources.get(name);
    if (!source) continue;
    const defaultSchema = defaultSchemaOf(source);
    const schemas = [...new Set(resources.filter((r) => r.source === name).map((r) => r.table.schema ?? defaultSchema))];
    catalogs.set(name, { defaultSchema, catalog: await introspectSource(source, schemas) });
  }
  const findings = diffContract(resources, spec.operations, catalogs);
  return {
    findings,
    errors: findings.filter((f) => f.severity === 'error').length,
    infos: findings.filter((f) => f.severity === 'info').length,
    resources: resources.length,
  };
}

/** Pure: every difference between the resources' bindings and schemas and the catalogs, errors first. */
export function diffContract(
  resources: readonly Resource[],
  operations: readonly Operation[],
  catalogs: ReadonlyMap<string, SourceCatalog>,
): DriftFinding[] {
  const findings: DriftFinding[] = [];
  const bound = new Map<string, Set<string>>();
  for (const resource of resources) {
    const entry = catalogs.get(resource.source);
    if (!entry) continue;
    const schema = resource.table.schema ?? entry.defaultSchema;
    const seen = bound.get(resource.source) ?? new Set<string>();
    seen.add(foldCase(entry.catalog, `${schema}.${resource.table.name}`));
    bound.set(resource.source, seen);
    const ops = operations.filter((o) => o.resource === resource);
    diffResource(resource, ops, schema, entry.catalog, findings);
  }
  for (const [source, entry] of catalogs) {
    const seen = bound.get(source) ?? new Set<string>();
    const schemas = new Set([...seen].map((q) => q.slice(0, q.indexOf('.'))));
    for (const relation of entry.catalog.relations) {
      const qualified = `${relation.schema}.${relation.name}`;
      if (!schemas.has(foldCase(entry.catalog, relation.schema)) || seen.has(foldCase(entry.catalog, qualified))) continue;
      findings.push({
        severity: 'info',
        code: 'relation_unexposed',
        source,
        relation: qualified,
        message: `${relation.kind} ${qualified} is not exposed by the document`,
      });
    }
  }
  const rank = (f: DriftFinding): number => (f.severity === 'error' ? 0 : 1);
  return findings.map((f, i) => [f, i] as const).sort((a, b) => rank(a[0]) - rank(b[0]) || a[1] - b[1]).map(([f]) => f);
}

function diffResource(
  resource: Resource,
  ops: readonly Operation[],
  schema: string,
  catalog: DbCatalog,
  findings: DriftFinding[],
): void {
  const qualified = `${schema}.${resource.table.name}`;
  const base = { source: resource.source, relation: qualified, resource: resource.name };
  const relation = findRelation(catalog, schema, resource.table.name);
  if (!relation) {
    const names = catalog.relations.filter((r) => r.schema === schema).map((r) => r.name);
    const why = catalog.schemas.includes(schema) ? '' : ` (schema "${schema}" does not exist)`;
    findings.push({
      ...base,
      severity: 'error',
      code: 'relation_missing',
      message: `resource "${resource.name}": table or view ${qualified} no longer exists${why}${didYouMean(resource.table.name, names)}`,
    });
    return;
  }
  const writes = ops.filter((o) => WRITE_KINDS.has(o.kind) || o.kind === 'delete' || o.kind === 'deleteMany');
  const creates = ops.some((o) => o.kind === 'create');
  const writesValues = ops.some((o) => WRITE_KINDS.has(o.kind));
  if (relation.kind === 'view' && writes.length > 0 && !resource.writable) {
    findings.push({
      ...base,
      severity: 'error',
      code: 'relation_now_view',
      message: `resource "${resource.name}": ${qualified} is now a view, which refuses the document's write operations`,
    });
  }
  const dbColumns = new Map(relation.columns.map((c) => [c.name, c]));
  const required = new Set(Array.isArray(resource.entitySchema.required) ? (resource.entitySchema.required as string[]) : []);
  for (const property of resource.columns.values()) {
    const column = dbColumns.get(property.column);
    const at = { ...base, property: property.name, column: property.column };
    const label = `resource "${resource.name}", property "${property.name}"${property.column === property.name ? '' : ` (column "${property.column}")`}`;
    if (!column) {
      findings.push({
        ...at,
        severity: 'error',
        code: 'column_missing',
        message: `${label}: ${qualified} no longer has this column${didYouMean(property.column, dbColumns.keys())}`,
      });
      continue;
    }
    diffColumn(property, column, relation, { label, at, writesValues, required: required.has(property.name) }, findings);
  }
  const exposed = new Set([...resource.columns.values()].map((c) => c.column));
  for (const column of relation.columns) {
    if (exposed.has(column.name)) continue;
    const needed = creates && !column.nullable && column.defaultValue === undefined && !column.generated;
    findings.push({
      ...base,
      column: column.name,
      severity: needed ? 'error' : 'info',
      code: 'column_unexposed',
      message: needed
        ? `resource "${resource.name}": column "${column.name}" (${column.dataType}, NOT NULL, no default) is not in the document, so every create will be refused`
        : `resource "${resource.name}": column "${column.name}" (${column.dataType}) is not exposed by the document`,
    });
  }
  if (relation.kind === 'table') diffKey(resource, relation, base, findings);
}

interface ColumnContext {
  readonly label: string;
  readonly at: Omit<DriftFinding, 'severity' | 'code' | 'message'>;
  readonly writesValues: boolean;
  readonly required: boolean;
}

function diffColumn(property: ResourceColumn, column: DbColumn, relation: DbRelation, ctx: ColumnContext, findings: DriftFinding[]): void {
  const push = (severity: DriftSeverity, code: DriftCode, message: string): void => {
    findings.push({ ...ctx.at, severity, code, message: `${ctx.label}: ${message}` });
  };
  const mapped = mapColumn(column);
  const documented = signature(property.schema);
  const live = signature(mapped.schema);
  if (!mapped.unmapped && documented !== 'any' && documented !== live) {
    push('error', 'type_changed', `the document says ${documented}; the column is now ${describeType(column)}, which is ${live}`);
    return;
  }
  diffEnum(property.schema, column, push);
  const docNullable = property.nullable || property.schema.type === undefined;
  // Views report every column as nullable whatever their query guarantees, so their nullability says nothing.
  if (relation.kind === 'table') {
    if (column.nullable && !docNullable) {
      push('error', 'now_nullable', 'the column now allows NULL, which the document says never comes back');
    } else if (!column.nullable && docNullable && ctx.writesValues && !column.generated && !property.readOnly) {
      push('error', 'now_not_null', 'the column is now NOT NULL, so writes of null that the document allows will be refused');
    } else if (
      !column.nullable && column.defaultValue === undefined && !column.generated && !ctx.required && !property.readOnly && ctx.writesValues
    ) {
      push('error', 'now_required', 'the column is NOT NULL without a default, but the document does not require it: creates without it will be refused');
    }
  }
  diffLength(property.schema, column, push);
  if (property.schema.format === 'decimal' && typeof property.schema.pattern === 'string' && !followsPrecision(property.schema.pattern, mapped.schema)) {
    const now = column.precision === undefined ? 'unconstrained' : `(${column.precision},${column.scale ?? 0})`;
    push('info', 'precision_changed', `the column's precision is now ${now}; the document's pattern ${property.schema.pattern} no longer follows it`);
  }
  if (column.generated && !property.readOnly && ctx.writesValues) {
    push('info', 'now_generated', 'the database now assigns this column (identity, serial or generated), but the document lets clients write it');
  }
}

/**
 * Whether a documented decimal pattern still follows the column's precision and scale: the generated pattern, or
 * the same without its minus sign (a curated contract may forbid negative values a CHECK constraint refuses).
 */
function followsPrecision(documented: string, live: JsonSchema): boolean {
  const generated = typeof live.pattern === 'string' ? live.pattern : undefined;
  return generated !== undefined && (documented === generated || documented === generated.replaceAll('-?', ''));
}

function diffEnum(schema: JsonSchema, column: DbColumn, push: (s: DriftSeverity, c: DriftCode, m: string) => void): void {
  const live = column.enumValues;
  const target = schema.type === 'array' && schema.items ? (schema.items as JsonSchema) : schema;
  if (!live || !Array.isArray(target.enum)) return;
  const documented = (target.enum as unknown[]).filter((v) => v !== null).map(String);
  const gone = documented.filter((v) => !live.includes(v));
  const added = live.filter((v) => !documented.includes(v));
  if (gone.length === 0 && added.length === 0) return;
  const parts = [
    gone.length > 0 ? `the database no longer accepts ${gone.join(', ')}` : undefined,
    added.length > 0 ? `it may now return ${added.join(', ')}, which the document does not list` : undefined,
  ].filter(Boolean);
  push('error', 'enum_changed', `${parts.join('; ')}`);
}

function diffLength(schema: JsonSchema, column: DbColumn, push: (s: DriftSeverity, c: DriftCode, m: string) => void): void {
  const documented = typeof schema.maxLength === 'number' ? schema.maxLength : undefined;
  if (documented === undefined) return;
  if (column.maxLength !== undefined && column.maxLength < documented) {
    push('error', 'length_narrowed', `the column now holds at most ${column.maxLength} characters; the document allows ${documented}`);
  } else if (column.maxLength === undefined || column.maxLength > documented) {
    const now = column.maxLength === undefined ? 'no length limit' : `at most ${column.maxLength} characters`;
    push('info', 'length_widened', `the column now allows ${now}; the document still says ${documented}, so longer values may come back`);
  }
}

function diffKey(
  resource: Resource,
  relation: DbRelation,
  base: Omit<DriftFinding, 'severity' | 'code' | 'message'>,
  findings: DriftFinding[],
): void {
  const key = resource.key.map((k) => resource.columns.get(k)?.column ?? k);
  if (key.length === 0) return;
  const same = (columns: readonly string[]): boolean => columns.length === key.length && columns.every((c) => key.includes(c));
  if (same(relation.primaryKey) || relation.uniqueKeys.some(same)) return;
  const list = (columns: readonly string[]): string => `(${columns.join(', ')})`;
  if (relation.primaryKey.length === 0 && relation.uniqueKeys.length === 0) {
    // A collection-only resource's key only orders its pages; it claims no identity for the database to enforce.
    if (resource.itemPath === undefined) return;
    findings.push({
      ...base,
      severity: 'info',
      code: 'key_unenforced',
      message: `resource "${resource.name}": no primary or unique key in the database enforces the document's key ${list(key)}`,
    });
    return;
  }
  const now = [
    relation.primaryKey.length > 0 ? `the primary key is ${list(relation.primaryKey)}` : 'there is no primary key',
    ...relation.uniqueKeys.map((u) => `unique ${list(u)}`),
  ].join(', ');
  findings.push({
    ...base,
    severity: 'error',
    code: 'key_changed',
    message: `resource "${resource.name}": the document's key ${list(key)} is no longer a primary or unique key (${now})`,
  });
}

/** What a schema admits, coarsely: `string (date-time)`, `integer`, `array of string (uuid)`, or `any`. */
export function signature(schema: JsonSchema): string {
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : typeof schema.type === 'string' ? [schema.type] : [];
  const main = types.find((t) => t !== 'null');
  if (main === undefined) return 'any';
  if (main === 'array') return `array of ${schema.items ? signature(schema.items as JsonSchema) : 'any'}`;
  const format = typeof schema.format === 'string' && STRUCTURAL_FORMATS.has(schema.format) ? ` (${schema.format})` : '';
  return `${main}${format}`;
}

function describeType(column: DbColumn): string {
  const size =
    column.maxLength !== undefined
      ? `(${column.maxLength})`
      : column.precision !== undefined
        ? `(${column.precision},${column.scale ?? 0})`
        : '';
  return `${column.dataType}${size}${column.isArray ? '[]' : ''}`;
}

/** A relation name as the catalog compares it (SQL Server under a case-insensitive collation ignores case). */
function foldCase(catalog: DbCatalog, name: string): string {
  return catalog.caseInsensitiveNames ? name.toLowerCase() : name;
}
