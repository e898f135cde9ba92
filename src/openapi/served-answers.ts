// The data operations' answers as the gateway really gives them, written into the served document: read shapes
// (no `required`, since `select` may leave any property out; masked and zone-less values as they travel), the
// export formats of lists and `limit=all`, PUT's 201, and the refusals every operation can meet (429, 503, 504).
import type { MaskMode } from '../config/types.js';
import { GATEWAY_RESPONSES, addGatewayComponents } from './gateway-components.js';
import type { JsonSchema, Operation, Resource } from './resource.js';

/** How a property reaches callers masked. */
export interface MaskedProperty {
  readonly modes: ReadonlySet<MaskMode>;
  /** Masked for every caller the document is for (the scoped contract under one rule); else some see it plain. */
  readonly always: boolean;
}

/** Per entity schema name (components.schemas), the masked properties. */
export type MaskedProperties = ReadonlyMap<string, ReadonlyMap<string, MaskedProperty>>;

const ENTITY_REF = /^#\/components\/schemas\/([^/]+)$/;

/** Rewrites `document` (a copy the caller owns) in place and returns it. */
export function describeAnswers(document: Record<string, unknown>, operations: readonly Operation[], masks: MaskedProperties): Record<string, unknown> {
  const components = (document.components ??= {}) as Record<string, Record<string, unknown>>;
  const schemas = (components.schemas ??= {}) as Record<string, JsonSchema>;
  addGatewayComponents(components);
  const paths = (document.paths ?? {}) as Record<string, Record<string, unknown>>;
  const resourceOf = new Map<string, Resource>();
  for (const op of operations) if (op.resource.entityName) resourceOf.set(op.resource.entityName, op.resource);

  const readNames = new Map<string, string>();
  const readVariant = (name: string, resource: Resource): string => {
    let variant = readNames.get(name);
    if (!variant) {
      variant = freeName(schemas, `${name}Read`);
      readNames.set(name, variant);
      schemas[variant] = readShape(schemas[name]!, resource, masks.get(name));
    }
    return variant;
  };
  /** A schema under components.schemas that holds the resource's rows (its properties are the resource's). */
  const isEntity = (name: string, resource: Resource): boolean => {
    if (!isObject(schemas[name])) return false;
    const properties = schemas[name].properties;
    return resourceOf.has(name) || (isObject(properties) && Object.keys(properties).some((p) => resource.columns.has(p)));
  };
  const rewrite = (node: unknown, resource: Resource): unknown => {
    if (Array.isArray(node)) return node.map((n) => rewrite(n, resource));
    if (typeof node !== 'object' || node === null) return node;
    const record = node as JsonSchema;
    const ref = typeof record.$ref === 'string' ? ENTITY_REF.exec(record.$ref) : null;
    if (ref && isEntity(ref[1]!, resource)) {
      return { ...record, $ref: `#/components/schemas/${readVariant(ref[1]!, resourceOf.get(ref[1]!) ?? resource)}` };
    }
    // An inline entity: the same read shape.
    if (isObject(record.properties) && Object.keys(record.properties).some((p) => resource.columns.has(p))) {
      return readShape(record, resource, resource.entityName ? masks.get(resource.entityName) : undefined);
    }
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, rewrite(v, resource)]));
  };

  for (const op of operations) {
    const operation = paths[op.path]?.[op.method] as Record<string, unknown> | undefined;
    if (!operation) continue;
    const responses = (operation.responses ??= {}) as Record<string, Record<string, unknown>>;
    for (const [status, given] of Object.entries(responses)) {
      if (!status.startsWith('2')) continue;
      // A shared response (components.responses) is copied into the operation: its rows are this resource's.
      const response = sharedResponse(components, given) ?? given;
      if (isObject(response.content)) responses[status] = { ...response, content: rewrite(response.content, op.resource) };
    }
    if (op.kind === 'replace' && !responses['201'] && responses['200']) {
      responses['201'] = { ...responses['200'], description: 'Created: no row had this key (`Prefer: return=representation` returns it).' };
    }
    if (op.kind === 'list') describeExports(operation, responses, components);
    addRefusals(responses, true);
  }
  return document;
}

/**
 * 429 (the caller's budget), 503 (a database or the audit store is down), 504 (the request ran out of time), and any
 * other refusal as a problem (`default`), unless the document already says.
 */
export function addRefusals(responses: Record<string, unknown>, rateLimited: boolean): void {
  responses.default ??= { $ref: `#/components/responses/${GATEWAY_RESPONSES.problem}` };
  if (rateLimited) responses['429'] ??= { $ref: `#/components/responses/${GATEWAY_RESPONSES.rateLimited}` };
  responses['503'] ??= { $ref: `#/components/responses/${GATEWAY_RESPONSES.unavailable}` };
  responses['504'] ??= { $ref: `#/components/responses/${GATEWAY_RESPONSES.timedOut}` };
}

const EXPORT_NOTE =
  '`Accept: application/x-ndjson` (one JSON object per line) or `text/csv` (a header row, then one row per line) answer the same rows in that format; with `limit=all` every matching row is streamed, where an access rule grants `export`.';

function describeExports(operation: Record<string, unknown>, responses: Record<string, Record<string, unknown>>, components: Record<string, Record<string, unknown>>): void {
  const ok = responses['200'];
  if (ok && isObject(ok.content)) {
    responses['200'] = {
      ...ok,
      description: `${String(ok.description ?? 'The matching rows.')} ${EXPORT_NOTE}`,
      content: {
        ...ok.content,
        'application/x-ndjson': ok.content['application/x-ndjson'] ?? { schema: { type: 'string', description: 'One JSON object per line, each shaped as the JSON answer’s items.' } },
        'text/csv': ok.content['text/csv'] ?? { schema: { type: 'string', description: 'RFC 4180 CSV with a header row of property names.' } },
      },
    };
  }
  // `limit=all`, on the parameter (shared parameters are rewritten once: every list uses them alike).
  const parameters = (operation.parameters ?? []) as Array<Record<string, unknown>>;
  operation.parameters = parameters.map((p) => {
    const ref = typeof p.$ref === 'string' ? /^#\/components\/parameters\/([^/]+)$/.exec(p.$ref) : null;
    if (ref) {
      const shared = (components.parameters as Record<string, Record<string, unknown>> | undefined)?.[ref[1]!];
      if (shared) components.parameters![ref[1]!] = allowLimitAll(shared);
      return p;
    }
    return allowLimitAll(p);
  });
}

const LIMIT_ALL = {
  const: 'all',
  description: 'Every matching row, streamed: only with `Accept: application/x-ndjson` or `text/csv`, where an access rule grants `export` (403 `export_not_allowed` otherwise).',
};

function allowLimitAll(parameter: Record<string, unknown>): Record<string, unknown> {
  if (parameter.name !== 'limit' || parameter.in !== 'query' || !isObject(parameter.schema)) return parameter;
  const schema = parameter.schema;
  if (Array.isArray(schema.anyOf) && schema.anyOf.some((s) => isObject(s) && s.const === 'all')) return parameter;
  return { ...parameter, schema: { anyOf: [schema, LIMIT_ALL] } };
}

const LOCAL_DATE_TIME = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?$';
const LOCAL_TIME = '^\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?$';

/** An entity schema as answers carry it. */
function readShape(entity: JsonSchema, resource: Resource | undefined, masked: ReadonlyMap<string, MaskedProperty> | undefined): JsonSchema {
  const { required: _required, ...shape } = entity;
  const properties = isObject(entity.properties) ? (entity.properties as Record<string, JsonSchema>) : {};
  shape.properties = Object.fromEntries(
    Object.entries(properties).map(([name, schema]) => {
      const column = resource?.columns.get(name);
      let read = column?.zoneless ? zoneless(schema) : schema;
      const mask = masked?.get(name);
      if (mask) read = maskedShape(read, mask, column?.nullable ?? true);
      return [name, read];
    }),
  );
  const note = 'As answers carry it: any property may be absent (`select` names the ones returned).';
  shape.description = typeof entity.description === 'string' ? `${entity.description} ${note}` : note;
  return shape;
}

/** A column without a time zone is read back as its wall-clock value, with no offset: not an RFC 3339 date-time. */
function zoneless(schema: JsonSchema): JsonSchema {
  if (schema.format !== 'date-time' && schema.format !== 'time') return schema;
  const { format, ...rest } = schema;
  const dateTime = format === 'date-time';
  const note = dateTime
    ? 'A local date and time with no offset (the column stores no time zone), e.g. `2024-05-01T10:00:00`.'
    : 'A local time with no offset (the column stores no time zone).';
  return { ...rest, pattern: dateTime ? LOCAL_DATE_TIME : LOCAL_TIME, description: typeof rest.description === 'string' ? `${rest.description} ${note}` : note };
}

const MASK_PATTERNS: Record<MaskMode, string> = {
  full: '\\*{4}',
  partial: '\\*{4}[\\s\\S]{0,4}',
  hash: 'hmac:[A-Za-z0-9_-]{22}',
};

function maskedShape(schema: JsonSchema, mask: MaskedProperty, nullable: boolean): JsonSchema {
  const modes = [...mask.modes].sort();
  const masked: JsonSchema = {
    type: nullable ? ['string', 'null'] : 'string',
    pattern: `^(?:${modes.map((m) => MASK_PATTERNS[m]).join('|')})$`,
    description: `Masked (${modes.join(', ')}): ${modes.includes('partial') ? '`****` and at most the last 4 characters' : modes.includes('hash') ? 'a keyed hash, equal for equal values' : '`****`'}; null stays null.`,
  };
  if (mask.always) {
    const keep = Object.fromEntries(Object.entries(schema).filter(([k]) => k === 'readOnly' || k.startsWith('x-')));
    return { ...keep, ...masked };
  }
  return { anyOf: [schema, masked] };
}

function sharedResponse(components: Record<string, Record<string, unknown>>, response: Record<string, unknown>): Record<string, unknown> | undefined {
  const ref = typeof response.$ref === 'string' ? /^#\/components\/responses\/([^/]+)$/.exec(response.$ref) : null;
  const shared = ref ? components.responses?.[ref[1]!] : undefined;
  return isObject(shared) ? structuredClone(shared) : undefined;
}

function freeName(schemas: Record<string, unknown>, name: string): string {
  if (!(name in schemas)) return name;
  for (let i = 2; ; i += 1) if (!(`${name}${i}` in schemas)) return `${name}${i}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
