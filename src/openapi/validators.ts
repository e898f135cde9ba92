// Request validators compiled once at start-up from the entity schemas (JSON Schema 2020-12, as OpenAPI 3.1 uses).
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { JsonSchema, Resource, ResourceColumn } from './resource.js';

type AddFormats = (ajv: Ajv2020) => Ajv2020;
const addFormats: AddFormats =
  (addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats);

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
  forResource(resource: Resource): ResourceValidators;
}

export function createValidatorFactory(): ValidatorFactory {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  // OpenAPI-style formats used by generated documents; precision-preserving numbers travel as strings.
  ajv.addFormat('decimal', /^-?(?:\d+\.?\d*|\.\d+)$/);
  ajv.addFormat('int64', { type: 'string', validate: (s: string) => /^-?\d{1,19}$/.test(s) });
  ajv.addFormat('byte', /^[A-Za-z0-9+/]*={0,2}$/);
  // Legacy `timestamp` / `time` columns (no time zone) read back without an offset; what a client read it
  // must be able to write back, so the offset is optional here (the calendar and clock are still checked).
  ajv.addFormat('date-time', { type: 'string', validate: isDateTime });
  ajv.addFormat('time', { type: 'string', validate: (s: string) => TIME.test(s) && validClock(s) });
  const cache = new Map<Resource, ResourceValidators>();
  return {
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

function compileResource(ajv: Ajv2020, resource: Resource): ResourceValidators {
  const fullSchema = stripForAjv(resource.entitySchema);
  const { required: _required, ...partialBase } = fullSchema;
  const full = ajv.compile(fullSchema);
  const partial = ajv.compile({ ...partialBase, minProperties: 1 });
  const columnChecks = new Map<string, Check>();
  return {
    full: wrap(full),
    partial: wrap(partial),
    column(column) {
      let check = columnChecks.get(column.name);
      if (!check) {
        check = wrap(ajv.compile(stripForAjv(column.schema)));
        columnChecks.set(column.name, check);
      }
      return check;
    },
  };
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
