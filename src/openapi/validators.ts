// Request validators from the entity schemas (JSON Schema 2020-12, as OpenAPI 3.1 uses): checked at start-up, each
// compiled once, on its first use.
import { createRequire } from 'node:module';
import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { meta as generatedMeta } from '../generated/json-schema-validator.js';
import type { JsonSchema, Resource, ResourceColumn } from './resource.js';

type AddFormats = (ajv: Ajv2020) => Ajv2020;

export interface FieldProblem {
  readonly pointer: string;
  readonly detail: string;
}

export type Check = (value: unknown) => readonly FieldProblem[];

export interface ResourceValidators {
  /** A full row (create, replace): required properties present, every value of its declared type. */
  readonly full: Check;
  /** A partial row (PATCH): same, but nothing is required and at least one property is given. */
  readonly partial: Check;
  /** One column value (filters, keys), for the column's property schema. */
  column(column: ResourceColumn): Check;
}

export interface ValidatorFactory {
  /**
   * What would make a resource's validators fail to compile, found without compiling them (on a 1,000-table contract
   * compiling every validator at start-up took seconds): the JSON Schema meta-schema check ajv itself runs first,
   * every regular expression, and every reference left unresolved. One message per resource, naming it.
   */
  check(resources: readonly Resource[]): string[];
  /** The resource's validators; each is compiled the first time it runs (a few milliseconds, once). */
  forResource(resource: Resource): ResourceValidators;
}

/** JSON Schema 2020-12's meta-schema as ajv judges a schema with it, compiled ahead of time (npm run gen:validators). */
const validateMeta = generatedMeta as unknown as ValidateFunction;

export function createValidatorFactory(): ValidatorFactory {
  let instance: Ajv2020 | undefined;
  const ajv = (): Ajv2020 => (instance ??= createAjv());
  const cache = new Map<Resource, ResourceValidators>();
  return {
    check(resources) {
      const problems: string[] = [];
      const verdicts = new Map<string, readonly string[]>();
      const goodPatterns = new Set<string>();
      for (const resource of resources) {
        const schema = stripForAjv(resource.entitySchema);
        // Judged whole first (on a 1,000-table contract, taking every schema apart cost more than judging them all);
        // only one ajv would refuse is taken apart, to say where.
        if (metaSchemaErrors(ajv, schema) === undefined && compilesCleanly(schema, goodPatterns, new Set())) continue;
        const found = entityProblems(ajv, schema, verdicts);
        if (found.length > 0) {
          problems.push(`resource "${resource.name}" (${resource.collectionPath ?? resource.itemPath}): the entity schema cannot be compiled: ${found.join('; ')}`);
        }
      }
      return problems;
    },
    forResource(resource) {
      let validators = cache.get(resource);
      if (!validators) {
        validators = compileResource(ajv, resource);
        cache.set(resource, validators);
      }
      return validators;
    },
  };
}

/**
 * The ajv that compiles request validators, made (and ajv's compiler loaded, 50 ms and a few megabytes) when the first
 * one is compiled, on a request: start-up judges schemas with the meta-schema compiled ahead of time. The schemas it
 * compiles were all judged then, so it need not check them against the meta-schema again.
 */
function createAjv(): Ajv2020 {
  const load = createRequire(import.meta.url);
  const { Ajv2020: Ajv } = load('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const formats = load('ajv-formats') as { default?: AddFormats } & AddFormats;
  const addFormats = formats.default ?? formats;
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, validateSchema: false });
  addFormats(ajv);
  // OpenAPI-style formats used by generated documents; precision-preserving numbers travel as strings.
  ajv.addFormat('decimal', /^-?(?:\d+\.?\d*|\.\d+)$/);
  ajv.addFormat('int64', { type: 'string', validate: (s: string) => /^-?\d{1,19}$/.test(s) });
  ajv.addFormat('byte', /^[A-Za-z0-9+/]*={0,2}$/);
  // Legacy `timestamp` / `time` columns (no time zone) read back without an offset; what a client read it
  // must be able to write back, so the offset is optional here (the calendar and clock are still checked).
  ajv.addFormat('date-time', { type: 'string', validate: isDateTime });
  ajv.addFormat('time', { type: 'string', validate: (s: string) => TIME.test(s) && validClock(s) });
  return ajv;
}

function compileResource(ajv: () => Ajv2020, resource: Resource): ResourceValidators {
  const fullSchema = stripForAjv(resource.entitySchema);
  const { required: _required, ...partialBase } = fullSchema;
  let full: Check | undefined;
  let partial: Check | undefined;
  const columnChecks = new Map<string, Check>();
  return {
    full: (value) => (full ??= wrap(ajv().compile(fullSchema)))(value),
    partial: (value) => (partial ??= wrap(ajv().compile({ ...partialBase, minProperties: 1 })))(value),
    column(column) {
      let check = columnChecks.get(column.name);
      if (!check) {
        check = wrap(ajv().compile(stripForAjv(column.schema)));
        columnChecks.set(column.name, check);
      }
      return check;
    },
  };
}

/**
 * Why ajv would refuse to compile an entity schema: its own keywords, then each property's schema, judged once per
 * distinct property schema (`verdicts`, by its text without its `x-` annotations; on a generated contract most
 * properties share a handful of shapes). The meta-schema judges each value of `properties` on its own, so this says
 * what judging the whole schema would.
 */
function entityProblems(ajv: () => Ajv2020, schema: JsonSchema, verdicts: Map<string, readonly string[]>): string[] {
  const properties = schema.properties;
  if (!isObject(properties)) return schemaProblems(ajv, schema);
  const problems = schemaProblems(ajv, { ...schema, properties: {} });
  for (const [name, property] of Object.entries(properties)) {
    const key = JSON.stringify(isObject(property) ? withoutAnnotations(property) : property);
    let found = verdicts.get(key);
    if (!found) {
      found = schemaProblems(ajv, property as JsonSchema);
      verdicts.set(key, found);
    }
    const at = `/properties/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    for (const problem of found) problems.push(problem.startsWith('/') ? `${at}${problem === '/' || problem.startsWith('/ ') ? problem.slice(1) : problem}` : `${at} ${problem}`);
  }
  return problems;
}

/** The schema without its own `x-` annotations (`x-gatehouse-column`, ...), which neither JSON Schema nor ajv reads. */
function withoutAnnotations(schema: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(schema).filter(([k]) => !k.startsWith('x-')));
}

/** Why ajv would refuse to compile `schema`, as `pointer message` lines (none when it compiles). */
function schemaProblems(ajv: () => Ajv2020, schema: JsonSchema): string[] {
  const errors = metaSchemaErrors(ajv, schema);
  if (errors !== undefined) {
    return [...new Set(errors.map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'}`))];
  }
  const problems: string[] = [];
  const seen = new Set<unknown>();
  const walk = (node: unknown, pointer: string): void => {
    if (typeof node !== 'object' || node === null || seen.has(node)) return;
    seen.add(node);
    if (Array.isArray(node)) {
      node.forEach((item, i) => walk(item, `${pointer}/${i}`));
      return;
    }
    const record = node as Record<string, unknown>;
    // ajv compiles patterns with the u flag; a bad one throws from compile.
    const patterns = [
      ...(typeof record.pattern === 'string' ? [{ at: `${pointer}/pattern`, source: record.pattern }] : []),
      ...Object.keys(isObject(record.patternProperties) ? record.patternProperties : {}).map((source) => ({
        at: `${pointer}/patternProperties`,
        source,
      })),
    ];
    for (const { at, source } of patterns) {
      try {
        new RegExp(source, 'u');
      } catch (err) {
        problems.push(`${at} ${JSON.stringify(source)} is not a valid regular expression (${(err as Error).message})`);
      }
    }
    // The document is dereferenced with external references off, so what is left would not resolve either.
    if (typeof record.$ref === 'string' && !record.$ref.startsWith('#')) {
      problems.push(`${pointer || '/'} refers to ${record.$ref}, which the contract does not resolve (only references inside the document are)`);
    }
    for (const [key, value] of Object.entries(record)) walk(value, `${pointer}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`);
  };
  walk(schema, '');
  return problems;
}

/**
 * What ajv.validateSchema says of `schema` (undefined: valid): the meta-schema compiled ahead of time for the usual
 * schema, ajv itself for one that names its own `$schema`.
 */
function metaSchemaErrors(ajv: () => Ajv2020, schema: unknown): readonly ErrorObject[] | undefined {
  if (typeof schema === 'boolean') return undefined;
  if (typeof schema === 'object' && schema !== null && (schema as { $schema?: unknown }).$schema !== undefined) {
    const instance = ajv();
    return instance.validateSchema(schema as JsonSchema) ? undefined : (instance.errors ?? []);
  }
  return validateMeta(schema) ? undefined : (validateMeta.errors ?? []);
}

/** No regular expression ajv would fail to compile and no reference left unresolved (what schemaProblems says, in short). */
function compilesCleanly(node: unknown, goodPatterns: Set<string>, seen: Set<unknown>): boolean {
  if (typeof node !== 'object' || node === null || seen.has(node)) return true;
  seen.add(node);
  if (Array.isArray(node)) return node.every((item) => compilesCleanly(item, goodPatterns, seen));
  const record = node as Record<string, unknown>;
  const sources = [...(typeof record.pattern === 'string' ? [record.pattern] : []), ...Object.keys(isObject(record.patternProperties) ? record.patternProperties : {})];
  for (const source of sources) {
    if (goodPatterns.has(source)) continue;
    try {
      new RegExp(source, 'u');
    } catch {
      return false;
    }
    goodPatterns.add(source);
  }
  if (typeof record.$ref === 'string' && !record.$ref.startsWith('#')) return false;
  for (const key in record) if (!compilesCleanly(record[key], goodPatterns, seen)) return false;
  return true;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Drops OpenAPI-only keywords that a JSON Schema validator must not interpret. */
function stripForAjv(schema: JsonSchema): JsonSchema {
  const { example: _e, examples: _es, xml: _x, externalDocs: _d, discriminator: _di, ...rest } = schema;
  if (rest.properties && typeof rest.properties === 'object') {
    rest.properties = Object.fromEntries(
      Object.entries(rest.properties as Record<string, JsonSchema>).map(([k, v]) => [k, stripForAjv(v)]),
    );
  }
  return rest;
}

function wrap(validate: ValidateFunction): Check {
  return (value) => (validate(value) ? [] : (validate.errors ?? []).map(describe));
}

function describe(e: ErrorObject): FieldProblem {
  if (e.keyword === 'required') {
    return { pointer: `${e.instancePath}/${String(e.params.missingProperty)}`, detail: 'is required' };
  }
  if (e.keyword === 'additionalProperties') {
    return { pointer: `${e.instancePath}/${String(e.params.additionalProperty)}`, detail: 'is not a property of this resource' };
  }
  if (e.keyword === 'minProperties') return { pointer: e.instancePath || '/', detail: 'must set at least one property' };
  if (e.keyword === 'enum') {
    return { pointer: e.instancePath || '/', detail: `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
  }
  return { pointer: e.instancePath || '/', detail: e.message ?? 'is invalid' };
}

const TIME = /^(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:?\d{2})?$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:?\d{2})?)$/;

function validClock(time: string): boolean {
  const [h, m, sec] = time.slice(0, 8).split(':').map(Number) as [number, number, number];
  return h <= 23 && m <= 59 && sec <= 60;
}

/** RFC 3339 date-time, the offset optional; the date must exist (no 2023-02-30). */
function isDateTime(value: string): boolean {
  const match = DATE_TIME.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day && validClock(match[4]!);
}
