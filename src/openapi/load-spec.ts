// Loads and validates the OpenAPI 3.1 document and builds the resources and operations its bindings declare.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { SpecError } from '../errors/app-error.js';
import { didYouMean } from '../util/did-you-mean.js';
import { checkDocument } from './check-document.js';
import type { ContractRead } from './contract-read-ahead.js';
import { dereferenceSchema, follow } from './json-pointer.js';
import { parseContract } from './parse-contract.js';
import type { ColumnKind, JsonSchema, Operation, OperationKind, Resource, ResourceColumn } from './resource.js';

export interface LoadedSpec {
  /** The document as written (what /openapi.json serves). */
  readonly document: Record<string, unknown>;
  readonly resources: readonly Resource[];
  readonly operations: readonly Operation[];
  /** SHA-256 of the contract: of the file as read, or of the document's JSON when it was given already parsed. */
  readonly sha256: string;
}

interface Binding {
  source: string;
  table: string;
  schema?: string;
  key?: string[];
  model?: string;
  readOnly?: boolean;
  writable?: boolean;
  /** Key properties a PATCH may change: keys are immutable unless the contract names them here. */
  mutableKey?: string[];
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
type Method = (typeof METHODS)[number];
const COLLECTION_KINDS: Partial<Record<Method, OperationKind>> = {
  get: 'list',
  post: 'create',
  patch: 'updateMany',
  delete: 'deleteMany',
};
const ITEM_KINDS: Partial<Record<Method, OperationKind>> = {
  get: 'read',
  patch: 'update',
  put: 'replace',
  delete: 'delete',
};
const BINDING_KEYS = new Set(['source', 'table', 'schema', 'key', 'model', 'readOnly', 'writable', 'mutableKey']);

/** `readAhead`: the file as a worker thread read it while the gateway loaded (contract-read-ahead.ts), if it could. */
export async function loadSpecFile(file: string, readAhead?: Promise<ContractRead | undefined>): Promise<LoadedSpec> {
  const { document, sha256 } = (await readAhead) ?? (await readParsed(file));
  return loadChecked(document, sha256);
}

/** The parsed document and the hash of the file; the file's bytes are let go before the document is checked. */
async function readParsed(file: string): Promise<{ document: unknown; sha256: string }> {
  const bytes = await readContract(file);
  // Hashed as read: a JSON text of the parsed document would be another 16 MB string on the 1,000-table contract.
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  try {
    return { document: parseContract(bytes), sha256 };
  } catch (err) {
    throw new SpecError([`${file} is neither YAML nor JSON: ${(err as Error).message}`]);
  }
}

/**
 * The contract's resources and operations, for a reader that needs only its bindings and entity schemas (the migration
 * report) of a contract the gateway has already accepted. The bindings and entities are read with the checks start-up
 * makes of them; the document as a whole is not checked against the OpenAPI schema, whose check costs more than
 * reading a large contract.
 * A contract whose model does not build is loaded the checked way, so that its problems read as they do at start-up.
 */
export async function loadSpecModel(file: string): Promise<Pick<LoadedSpec, 'resources' | 'operations'>> {
  const { document } = await readParsed(file);
  try {
    if (typeof document !== 'object' || document === null) throw new SpecError(['the document must be an object']);
    const openapi = (document as Record<string, unknown>).openapi;
    if (typeof openapi !== 'string' || !openapi.startsWith('3.1')) throw new SpecError([`openapi: must be 3.1.x (found ${JSON.stringify(openapi)})`]);
    return buildModel(document as Record<string, unknown>);
  } catch {
    return loadSpecFile(file);
  }
}

async function readContract(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new SpecError([`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
}

export async function loadSpec(input: unknown): Promise<LoadedSpec> {
  return loadChecked(input, undefined);
}

function loadChecked(input: unknown, sha256: string | undefined): LoadedSpec {
  if (typeof input !== 'object' || input === null) throw new SpecError(['the document must be an object']);
  const document = input as Record<string, unknown>;
  if (typeof document.openapi !== 'string' || !document.openapi.startsWith('3.1')) {
    throw new SpecError([`openapi: must be 3.1.x (found ${JSON.stringify(document.openapi)})`]);
  }
  const problems = checkDocument(document);
  if (problems.length > 0) throw new SpecError(problems);
  // The model reads the document as written, following references where it needs their targets: no dereferenced copy
  // of the whole document is made (on a 1,000-table contract that copy alone took hundreds of megabytes).
  return { ...buildModel(document), sha256: sha256 ?? createHash('sha256').update(JSON.stringify(document)).digest('hex') };
}

function buildModel(raw: Record<string, unknown>): Omit<LoadedSpec, 'sha256'> {
  const problems: string[] = [];
  const rawPaths = (raw.paths ?? {}) as Record<string, Record<string, unknown>>;
  const schemas = ((raw.components as Record<string, unknown> | undefined)?.schemas ?? {}) as Record<string, JsonSchema>;
  const globalSecurity = (raw.security ?? []) as Operation['security'];

  // Group path items by resource (the first path segment): `/customers` and `/customers/{id}`.
  const groups = new Map<string, Array<{ path: string; binding: Binding; params: string[] }>>();
  for (const [path, item] of Object.entries(rawPaths)) {
    const bindingRaw = item['x-gatehouse'];
    if (bindingRaw === undefined) continue;
    const binding = checkBinding(path, bindingRaw, problems);
    if (!binding) continue;
    const segments = path.split('/').filter(Boolean);
    const params = segments.filter((s) => /^\{[^}]+\}$/.test(s)).map((s) => s.slice(1, -1));
    const literal = segments.filter((s) => !/^\{[^}]+\}$/.test(s));
    const firstParam = segments.findIndex((s) => s.startsWith('{'));
    if (literal.length === 0 || (firstParam !== -1 && segments.slice(firstParam).some((s) => !s.startsWith('{')))) {
      problems.push(`paths.${path}: a bound path is /<resource> or /<resource>/{key}[/{key}…]`);
      continue;
    }
    const name = literal.join('/');
    const list = groups.get(name) ?? [];
    list.push({ path, binding, params });
    groups.set(name, list);
  }

  const resources: Resource[] = [];
  const operations: Operation[] = [];
  const operationIds = new Set<string>();
  for (const [name, items] of groups) {
    const collection = items.filter((i) => i.params.length === 0);
    const itemPaths = items.filter((i) => i.params.length > 0);
    if (collection.length > 1 || itemPaths.length > 1) {
      problems.push(`paths: resource "${name}" has more than one collection or item path`);
      continue;
    }
    const first = items[0]!;
    for (const other of items.slice(1)) {
      if (JSON.stringify(sortKeys(other.binding)) !== JSON.stringify(sortKeys(first.binding))) {
        problems.push(`paths.${other.path}.x-gatehouse: must match the binding on ${first.path}`);
      }
    }
    const entity = findEntity(raw, first.binding, items, rawPaths, schemas, problems);
    if (!entity) continue;
    const columns = buildColumns(name, entity.schema, problems);
    if (!columns) continue;
    const byColumn = new Map([...columns.values()].map((c) => [c.column, c]));
    const { schema: tableSchema, table } = splitTable(first.binding);
    const key = (first.binding.key ?? []).map((k) => columns.get(k)?.name ?? byColumn.get(k)?.name ?? k);
    for (const k of key) {
      if (!columns.has(k)) {
        problems.push(`paths.${first.path}.x-gatehouse.key: "${k}" is not a property of the entity${didYouMean(k, columns.keys())}`);
      }
    }
    const mutableKey = (first.binding.mutableKey ?? []).map((k) => columns.get(k)?.name ?? byColumn.get(k)?.name ?? k);
    for (const k of mutableKey) {
      const at = `paths.${first.path}.x-gatehouse.mutableKey`;
      if (!key.includes(k)) problems.push(`${at}: "${k}" is not in the binding's key${didYouMean(k, key)}`);
      else if (columns.get(k)?.readOnly) problems.push(`${at}: "${k}" is readOnly in the entity schema, so it cannot be changed`);
    }
    const itemPath = itemPaths[0];
    if (itemPath && first.binding.key && itemPath.params.length !== key.length) {
      problems.push(
        `paths.${itemPath.path}: has ${itemPath.params.length} path parameter(s) but the key has ${key.length} column(s)`,
      );
    }
    const resource: Resource = {
      name,
      source: first.binding.source,
      table: { schema: tableSchema, name: table },
      key,
      mutableKey,
      columns,
      byColumn,
      entitySchema: entity.schema,
      entityName: entity.name,
      readOnly: first.binding.readOnly === true,
      writable: first.binding.writable === true,
      isView: false,
      collectionPath: collection[0]?.path,
      itemPath: itemPath?.path,
    } as Resource;
    resources.push(resource);

    for (const entry of items) {
      const kinds = entry.params.length === 0 ? COLLECTION_KINDS : ITEM_KINDS;
      const pathItem = rawPaths[entry.path]!;
      for (const method of METHODS) {
        const op = pathItem[method] as Record<string, unknown> | undefined;
        if (!op) continue;
        const kind = kinds[method];
        if (!kind) {
          problems.push(`paths.${entry.path}.${method}: not supported on a ${entry.params.length ? 'item' : 'collection'} path`);
          continue;
        }
        if (resource.readOnly && kind !== 'list' && kind !== 'read') {
          problems.push(`paths.${entry.path}.${method}: the binding is readOnly, so only get is allowed`);
          continue;
        }
        const operationId = typeof op.operationId === 'string' ? op.operationId : `${method} ${entry.path}`;
        if (operationIds.has(operationId)) problems.push(`paths.${entry.path}.${method}: duplicate operationId ${operationId}`);
        operationIds.add(operationId);
        operations.push({
          operationId,
          kind,
          method,
          path: entry.path,
          pathParams: entry.params,
          resource,
          security: (op.security ?? globalSecurity) as Operation['security'],
        });
      }
    }
  }
  if (problems.length > 0) throw new SpecError(problems);
  if (resources.length === 0) throw new SpecError(['no path carries an x-gatehouse binding, so nothing is exposed']);
  return { document: raw, resources, operations };
}

function checkBinding(path: string, value: unknown, problems: string[]): Binding | undefined {
  const at = `paths.${path}.x-gatehouse`;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push(`${at}: must be an object`);
    return undefined;
  }
  const b = value as Record<string, unknown>;
  const before = problems.length;
  for (const k of Object.keys(b)) if (!BINDING_KEYS.has(k)) problems.push(`${at}.${k}: unknown key${didYouMean(k, BINDING_KEYS)}`);
  if (typeof b.source !== 'string' || !b.source) problems.push(`${at}.source: is required (a source name)`);
  if (typeof b.table !== 'string' || !b.table) problems.push(`${at}.table: is required`);
  if (b.schema !== undefined && typeof b.schema !== 'string') problems.push(`${at}.schema: must be a string`);
  if (b.model !== undefined && typeof b.model !== 'string') problems.push(`${at}.model: must be a schema name`);
  if (b.key !== undefined && (!Array.isArray(b.key) || b.key.length === 0 || !b.key.every((k) => typeof k === 'string'))) {
    problems.push(`${at}.key: must be a non-empty list of property names`);
  }
  if (b.mutableKey !== undefined) {
    if (!Array.isArray(b.mutableKey) || !b.mutableKey.every((k) => typeof k === 'string')) {
      problems.push(`${at}.mutableKey: must be a list of key property names`);
    } else if (b.key === undefined && b.mutableKey.length > 0) {
      problems.push(`${at}.mutableKey: needs an explicit key in the binding`);
    }
  }
  for (const flag of ['readOnly', 'writable'] as const) {
    if (b[flag] !== undefined && typeof b[flag] !== 'boolean') problems.push(`${at}.${flag}: must be true or false`);
  }
  return problems.length === before ? (b as unknown as Binding) : undefined;
}

/** `table: dbo.CUST_MSTR` names a schema; with an explicit `schema:` the table name is taken literally. */
function splitTable(binding: Binding): { schema: string | undefined; table: string } {
  if (binding.schema !== undefined) return { schema: binding.schema, table: binding.table };
  const dot = binding.table.indexOf('.');
  if (dot > 0) return { schema: binding.table.slice(0, dot), table: binding.table.slice(dot + 1) };
  return { schema: undefined, table: binding.table };
}

/** The entity: `model:` in the binding, else the schema of a get operation's 200 response (array items for lists). */
function findEntity(
  document: Record<string, unknown>,
  binding: Binding,
  items: ReadonlyArray<{ path: string }>,
  rawPaths: Record<string, Record<string, unknown>>,
  schemas: Record<string, JsonSchema>,
  problems: string[],
): { name: string | undefined; schema: JsonSchema } | undefined {
  if (binding.model !== undefined) {
    const schema = schemas[binding.model];
    if (!schema) {
      problems.push(`x-gatehouse.model: "${binding.model}" is not under components.schemas${didYouMean(binding.model, Object.keys(schemas))}`);
      return undefined;
    }
    return { name: binding.model, schema: dereferenceSchema(document, schema) };
  }
  for (const { path } of items) {
    const rawSchema = responseSchema(document, rawPaths[path]);
    if (!rawSchema) continue;
    const unwrap = (s: JsonSchema): JsonSchema => {
      const schema = follow(document, s) as JsonSchema;
      return schema.type === 'array' && schema.items ? (schema.items as JsonSchema) : s;
    };
    const entity = unwrap(rawSchema);
    const ref = entity.$ref;
    const name = typeof ref === 'string' && ref.startsWith('#/components/schemas/') ? ref.split('/').pop() : undefined;
    return { name, schema: dereferenceSchema(document, follow(document, entity) as JsonSchema) };
  }
  problems.push(
    `paths.${items[0]!.path}: cannot tell the entity schema: add x-gatehouse.model, or a get operation with a 200 JSON response`,
  );
  return undefined;
}

/** The schema of a get operation's 200 JSON response, as written (possibly a reference). */
function responseSchema(document: Record<string, unknown>, pathItem: Record<string, unknown> | undefined): JsonSchema | undefined {
  type Node = Record<string, unknown> | undefined;
  const get = follow(document, pathItem?.get) as Node;
  const responses = follow(document, get?.responses) as Node;
  const ok = follow(document, responses?.['200']) as Node;
  const content = follow(document, ok?.content) as Node;
  const media = follow(document, content?.['application/json']) as Node;
  return media?.schema as JsonSchema | undefined;
}

function buildColumns(resource: string, schema: JsonSchema, problems: string[]): Map<string, ResourceColumn> | undefined {
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  if (!properties || Object.keys(properties).length === 0) {
    problems.push(`resource "${resource}": the entity schema must be an object with properties`);
    return undefined;
  }
  const columns = new Map<string, ResourceColumn>();
  const dbNames = new Map<string, string>();
  for (const [name, prop] of Object.entries(properties)) {
    const column = typeof prop['x-gatehouse-column'] === 'string' ? prop['x-gatehouse-column'] : name;
    const clash = dbNames.get(column);
    if (clash) problems.push(`resource "${resource}": properties "${clash}" and "${name}" map to the same column "${column}"`);
    dbNames.set(column, name);
    const { kind, nullable } = kindOf(prop);
    columns.set(name, {
      name,
      column,
      kind,
      schema: prop,
      nullable,
      readOnly: prop.readOnly === true,
      classification:
        typeof prop['x-gatehouse-classification'] === 'string' ? prop['x-gatehouse-classification'] : undefined,
    });
  }
  return columns;
}

function kindOf(prop: JsonSchema): { kind: ColumnKind; nullable: boolean } {
  const types = Array.isArray(prop.type) ? (prop.type as string[]) : typeof prop.type === 'string' ? [prop.type] : [];
  const nullable = types.includes('null') || prop.nullable === true;
  const main = types.find((t) => t !== 'null');
  const kind: ColumnKind =
    main === 'integer' || main === 'number' || main === 'boolean' || main === 'string' || main === 'object' || main === 'array'
      ? main
      : 'unknown';
  return { kind, nullable };
}

/** The binding with its keys in one order (code-unit order: localeCompare cost tens of milliseconds on 1,000 tables). */
function sortKeys(value: Binding): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
