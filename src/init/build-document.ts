// Introspected catalog → a complete OpenAPI 3.1 document with x-gatehouse bindings, plus notes for the operator.
import { camelCase } from 'change-case';
import type { DbCatalog, DbRelation } from '../db/catalog.js';
import type { JsonSchema } from '../openapi/resource.js';
import { buildEntitySchema } from './entity-schema.js';
import { entityNames, propertyNames, resourceNames, type NamingStyle, type Rename } from './naming.js';
import { collectionPathItem, itemPathItem, type OperationName, type ResourcePlan } from './path-items.js';
import { chooseKey, type RelationKey } from './relation-key.js';
import { PROBLEM_SCHEMA, sharedComponents } from './shared-components.js';
import { unmappedReason } from './type-mapping.js';

export interface BuildOptions {
  /** The source name the bindings refer to (a key of `sources:` in the configuration). */
  readonly source: string;
  readonly naming: NamingStyle;
  /** Relations in this schema get unprefixed names; others are prefixed with their schema. */
  readonly defaultSchema: string;
  /** Give views write operations too (their bindings then say `writable: true`). */
  readonly writableViews?: boolean;
  /** Called after each relation, for a progress bar. */
  readonly onProgress?: (done: number, total: number) => void;
}

export type NoteLevel = 'warning' | 'info';

/** Something the operator should know about the generated document (renames, missing keys, unmapped types). */
export interface InitNote {
  readonly level: NoteLevel;
  readonly code: 'renamed' | 'no_key' | 'nullable_key' | 'skipped' | 'unmapped_type';
  /** `schema.relation`. */
  readonly relation: string;
  readonly message: string;
}

export interface BuiltDocument {
  readonly document: Record<string, unknown>;
  readonly notes: readonly InitNote[];
  /** Resources written, in document order. */
  readonly resources: ReadonlyArray<{ readonly name: string; readonly relation: string; readonly itemPath: boolean }>;
}

interface Planned {
  readonly relation: DbRelation;
  readonly qualified: string;
  readonly key: RelationKey;
  readonly properties: readonly string[];
  readonly resource: string;
  readonly entity: string;
  readonly operationIds: Readonly<Record<OperationName, string>>;
}

export function buildDocument(catalog: DbCatalog, options: BuildOptions): BuiltDocument {
  const notes: InitNote[] = [];
  const relations = [...catalog.relations].sort(
    (a, b) => compare(a.schema, b.schema) || compare(a.name, b.name),
  );
  const usable = relations.filter((relation) => {
    if (chooseKey(relation).kind !== 'none') return true;
    notes.push({
      level: 'warning',
      code: 'skipped',
      relation: qualify(relation),
      message: 'left out: no primary or unique key, and no column that can be ordered for stable pages',
    });
    return false;
  });
  const prefixed = usable.map((r) => ({ name: r.name, prefix: r.schema === options.defaultSchema ? undefined : r.schema }));
  const resourceNaming = resourceNames(prefixed);
  const entityNaming = entityNames(prefixed);
  reportRenames(notes, usable, resourceNaming.renames, 'path');
  reportRenames(notes, usable, entityNaming.renames, 'schema name');

  const operationIds = new Set<string>();
  const planned: Planned[] = usable.map((relation, i) => {
    const naming = propertyNames(relation.columns.map((c) => c.name), options.naming);
    for (const r of naming.renames) {
      notes.push({
        level: 'info',
        code: 'renamed',
        relation: qualify(relation),
        message: `column "${r.from}" is property "${r.to}" (${r.reasons.join(', ')})`,
      });
    }
    return {
      relation,
      qualified: qualify(relation),
      key: chooseKey(relation),
      properties: naming.names,
      resource: resourceNaming.names[i]!,
      entity: entityNaming.names[i]!,
      operationIds: uniqueIds(operationIds, entityNaming.names[i]!),
    };
  });
  const byRelation = new Map(planned.map((p) => [`${p.relation.schema}\u0000${p.relation.name}`, p]));
  const lookup = (schema: string, table: string): Planned | undefined => byRelation.get(`${schema}\u0000${table}`);

  const shared = sharedComponents();
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, JsonSchema> = {};
  const tags: Array<Record<string, string>> = [];
  const resources: Array<{ name: string; relation: string; itemPath: boolean }> = [];
  planned.forEach((p, index) => {
    const { relation, key } = p;
    const propertyOf = (column: string): string => p.properties[relation.columns.findIndex((c) => c.name === column)]!;
    const entity = buildEntitySchema({
      relation,
      propertyNames: p.properties,
      referenceOf: (refSchema, refTable, refColumn) => {
        const target = lookup(refSchema, refTable);
        if (!target) return `\`${refSchema}.${refTable}.${refColumn}\` (not in this document)`;
        const idx = target.relation.columns.findIndex((c) => c.name === refColumn);
        return `\`${target.entity}.${target.properties[idx] ?? refColumn}\``;
      },
    });
    for (const column of entity.unmapped) {
      notes.push({
        level: 'warning',
        code: 'unmapped_type',
        relation: p.qualified,
        message: `column "${column.name}" has type ${column.dataType}, which has no JSON mapping: its property accepts any value${
          unmappedReason(column) ? ` (${unmappedReason(column)})` : ''
        }`,
      });
    }
    schemas[p.entity] = entity.schema;
    noteKey(notes, p);

    const writable = relation.kind === 'table' || options.writableViews === true;
    const keyProps = key.columns.map(propertyOf);
    const binding: Record<string, unknown> = {
      source: options.source,
      schema: relation.schema,
      table: relation.name,
      key: keyProps,
      ...(relation.kind === 'view' && writable ? { writable: true } : {}),
    };
    const identifying = key.kind === 'primary' || key.kind === 'unique';
    const properties = entity.schema.properties as Record<string, JsonSchema>;
    const plan: ResourcePlan = {
      resource: p.resource,
      entity: p.entity,
      tag: p.qualified.startsWith(`${options.defaultSchema}.`) ? relation.name : p.qualified,
      noun: `${relation.name} row`,
      binding,
      itemParams: identifying
        ? keyProps.map((name, i) => ({
            name,
            schema: pathParamSchema(properties[name]!),
            description: `The ${relation.name} row's ${key.columns[i]}.`,
          }))
        : [],
      writable,
      operationIds: p.operationIds,
      links: identifying ? linksFor(p, lookup, propertyOf) : undefined,
    };
    paths[`/${p.resource}`] = collectionPathItem(plan);
    if (identifying) paths[`/${p.resource}/${keyProps.map((k) => `{${k}}`).join('/')}`] = itemPathItem(plan);
    tags.push({ name: plan.tag, description: relation.comment ?? `${relation.kind === 'view' ? 'View' : 'Table'} ${p.qualified}.` });
    resources.push({ name: p.resource, relation: p.qualified, itemPath: identifying });
    options.onProgress?.(index + 1, planned.length);
  });

  schemas[PROBLEM_SCHEMA] = shared.problemSchema;
  const document: Record<string, unknown> = {
    openapi: '3.1.0',
    info: {
      title: `Gatehouse — ${options.source}`,
      version: '0.1.0',
      description: API_DESCRIPTION(options.source, catalog.schemas),
    },
    servers: [{ url: '/', description: 'The gateway serving this document.' }],
    tags,
    paths,
    components: {
      securitySchemes: shared.securitySchemes,
      parameters: shared.parameters,
      responses: shared.responses,
      schemas,
    },
  };
  return { document, notes, resources };
}

const API_DESCRIPTION = (source: string, schemas: readonly string[]): string =>
  [
    `Generated by \`gatehouse init\` from source \`${source}\` (schemas: ${schemas.join(', ')}).`,
    'Curate it before exposing it: classify each property (`x-gatehouse-classification` is `unclassified` until then),',
    'remove what should not be reachable, and check the keys of tables that had none.',
    '',
    '**Reading.** Filter with one query parameter per property, PostgREST style, `?property=op.value`:',
    '`eq`, `neq`, `lt`, `lte`, `gt`, `gte`, `like` and `ilike` (`*` is the wildcard), `in.(a,b)`, `is.null`;',
    '`not.` negates any operator. Shape the result with `select`, `order`, `limit` / `offset` or `cursor`.',
    '',
    '**Writing.** A create takes one object or an array (all or nothing). Collection updates and deletes need a filter;',
    '`Prefer: max-affected=N` fails them, changing nothing, above N rows. `Prefer: return=representation` returns rows.',
    '',
    '**Errors** are RFC 9457 problems with a stable `code`: 400 bad request, 401 no or invalid token, 403 not allowed,',
    '404 no such row, 405 method not allowed, 409 conflict, 413 body too large, 415 not JSON, 422 refused by the',
    'database, 429 rate limited, 503 database unavailable, 504 timeout.',
    '',
    '**Types.** Decimal and 64-bit integer values travel as strings so that no precision is lost.',
  ].join('\n');

function qualify(relation: DbRelation): string {
  return `${relation.schema}.${relation.name}`;
}

/** Code-point order: deterministic across machines and locales. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function reportRenames(notes: InitNote[], relations: readonly DbRelation[], renames: readonly Rename[], what: string): void {
  for (const r of renames) {
    const relation = relations.find((x) => qualify(x) === r.from || x.name === r.from);
    notes.push({
      level: 'info',
      code: 'renamed',
      relation: relation ? qualify(relation) : r.from,
      message: `${what} is "${r.to}" (${r.reasons.join(', ')})`,
    });
  }
}

function noteKey(notes: InitNote[], p: Planned): void {
  const { relation, key } = p;
  if (key.kind === 'ordering') {
    const what = relation.kind === 'view' ? 'a view has no keys' : 'the table has no primary or unique key';
    notes.push({
      level: relation.kind === 'view' ? 'info' : 'warning',
      code: 'no_key',
      relation: p.qualified,
      message: `collection path only (${what}); lists are ordered by every orderable column. Name the identifying columns in x-gatehouse.key and add an item path if there are any`,
    });
  } else if (key.kind === 'unique') {
    const nullable = key.columns.filter((c) => relation.columns.find((x) => x.name === c)?.nullable);
    notes.push({
      level: nullable.length > 0 ? 'warning' : 'info',
      code: nullable.length > 0 ? 'nullable_key' : 'no_key',
      relation: p.qualified,
      message:
        `no primary key: keyed by the unique constraint on (${key.columns.join(', ')})` +
        (nullable.length > 0 ? `, whose column(s) ${nullable.join(', ')} allow NULL` : ''),
    });
  }
}

/** A key property's schema as a path parameter: a value is always present, and docs/defaults don't apply. */
function pathParamSchema(prop: JsonSchema): JsonSchema {
  const { readOnly: _r, description: _d, default: _df, ...rest } = prop;
  const schema: JsonSchema = Object.fromEntries(Object.entries(rest).filter(([k]) => !k.startsWith('x-')));
  if (Array.isArray(schema.type)) {
    const types = (schema.type as string[]).filter((t) => t !== 'null');
    schema.type = types.length === 1 ? types[0] : types;
  }
  if (Array.isArray(schema.enum)) schema.enum = (schema.enum as unknown[]).filter((v) => v !== null);
  return schema;
}

function uniqueIds(taken: Set<string>, entity: string): Record<OperationName, string> {
  const wanted: Record<OperationName, string> = {
    list: `list${entity}`,
    create: `create${entity}`,
    updateMany: `update${entity}Matching`,
    deleteMany: `delete${entity}Matching`,
    read: `get${entity}`,
    update: `update${entity}`,
    replace: `replace${entity}`,
    delete: `delete${entity}`,
  };
  const out = {} as Record<OperationName, string>;
  for (const [kind, id] of Object.entries(wanted) as Array<[OperationName, string]>) {
    let unique = id;
    for (let n = 2; taken.has(unique.toLowerCase()); n += 1) unique = `${id}${n}`;
    taken.add(unique.toLowerCase());
    out[kind] = unique;
  }
  return out;
}

/** OpenAPI links from an item to the rows its foreign keys reference, when those have an item path keyed alike. */
function linksFor(
  p: Planned,
  lookup: (schema: string, table: string) => Planned | undefined,
  propertyOf: (column: string) => string,
): Record<string, unknown> | undefined {
  const links: Record<string, unknown> = {};
  for (const fk of p.relation.foreignKeys) {
    const target = lookup(fk.refSchema, fk.refTable);
    if (!target || (target.key.kind !== 'primary' && target.key.kind !== 'unique')) continue;
    const targetKey = target.key.columns;
    if (targetKey.length !== fk.refColumns.length || !targetKey.every((c) => fk.refColumns.includes(c))) continue;
    const parameters: Record<string, string> = {};
    for (const keyColumn of targetKey) {
      const source = fk.columns[fk.refColumns.indexOf(keyColumn)]!;
      const targetProp = target.properties[target.relation.columns.findIndex((c) => c.name === keyColumn)]!;
      parameters[targetProp] = `$response.body#/${propertyOf(source)}`;
    }
    let name = camelCase(target.entity);
    if (name in links) name = `${name}By${fk.columns.map(propertyOf).map((s) => s.charAt(0).toUpperCase() + s.slice(1)).join('')}`;
    for (let n = 2; name in links; n += 1) name = `${name}${n}`;
    links[name] = {
      operationId: target.operationIds.read,
      parameters,
      description: `The ${target.relation.name} row this row refers to (foreign key ${fk.name}).`,
    };
  }
  return Object.keys(links).length > 0 ? links : undefined;
}
