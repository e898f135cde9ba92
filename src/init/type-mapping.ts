// Database column → JSON Schema property: the documented type-mapping rule that `gatehouse init` applies.
import type { DbColumn } from '../db/catalog.js';
import type { JsonSchema } from '../openapi/resource.js';

/**
 * The mapping rule (also in docs/type-mapping.md). Values that JSON numbers would round travel as strings with a
 * format, so clients never lose precision:
 *
 * | database type                    | JSON Schema                                                          |
 * |----------------------------------|----------------------------------------------------------------------|
 * | int2, int4                       | integer with the type's minimum / maximum                            |
 * | int8                             | string, format int64, pattern `^-?\d{1,19}$`                          |
 * | oid                              | integer 0 … 4294967295                                               |
 * | numeric(p,s) / decimal(p,s)      | string, format decimal, a pattern allowing p−s integer and s fraction digits |
 * | numeric (unconstrained)          | string, format decimal                                               |
 * | money                            | string (the server's formatted text, e.g. `$1,234.56`)              |
 * | float4 / float8                  | number, format float / double                                        |
 * | bool                             | boolean                                                              |
 * | varchar(n), bpchar(n)            | string, maxLength n                                                  |
 * | text, name, citext, xml, …       | string                                                               |
 * | uuid                             | string, format uuid                                                  |
 * | date                             | string, format date                                                  |
 * | timestamp, timestamptz           | string, format date-time                                             |
 * | time, timetz                     | string, format time                                                  |
 * | interval                         | string (PostgreSQL interval text)                                     |
 * | bytea                            | string, format byte, contentEncoding base64                          |
 * | json, jsonb                      | any JSON value, `x-gatehouse-json: true`                              |
 * | enum types                       | string with `enum` of the labels, in declaration order               |
 * | bit(n), varbit(n)                | string of 0 and 1, maxLength n                                       |
 * | inet, cidr, macaddr, macaddr8    | string                                                               |
 * | T[] (any dimension)              | array whose items follow the rule for T                              |
 * | anything else                    | any value, reported by init as unmapped                              |
 *
 * SQL Server sources (docs/sql-server.md):
 *
 * | SQL Server type                                   | JSON Schema                                             |
 * |---------------------------------------------------|---------------------------------------------------------|
 * | tinyint, smallint, int                            | integer with the type's minimum / maximum               |
 * | bigint                                            | string, format int64                                    |
 * | decimal(p,s), numeric(p,s)                        | string, format decimal, pattern for p and s             |
 * | money, smallmoney                                 | string, format decimal, four fraction digits            |
 * | float, real                                       | number, format double / float                           |
 * | bit                                               | boolean                                                 |
 * | char, varchar, nchar, nvarchar (n or max), text, ntext, xml, sysname | string (maxLength n)                 |
 * | uniqueidentifier                                  | string, format uuid                                     |
 * | date / time                                       | string, format date / time                              |
 * | datetime, datetime2, smalldatetime, datetimeoffset | string, format date-time                               |
 * | binary, varbinary, image                          | string, format byte, contentEncoding base64             |
 * | rowversion (timestamp)                            | string, format byte, read-only                          |
 * | hierarchyid, sql_variant, geography, geometry     | unmapped: init reports them, with the reason            |
 *
 * A nullable column adds `null` to `type` (and to `enum`). Identity, serial and generated columns are
 * `readOnly`. A literal default becomes `default`; an expression default (`now()`) is described instead.
 * A domain is mapped as its base type.
 */
export interface MappedColumn {
  readonly schema: JsonSchema;
  /** The database type had no rule; the property accepts any value. */
  readonly unmapped: boolean;
}

const INT_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  int2: [-32768, 32767],
  int4: [-2147483648, 2147483647],
  oid: [0, 4294967295],
};

const STRING_TYPES = new Set([
  'text', 'varchar', 'bpchar', 'char', 'name', 'citext', 'xml', 'tsvector', 'tsquery', 'inet', 'cidr', 'macaddr',
  'macaddr8', 'interval', 'money', 'line', 'lseg', 'box', 'path', 'polygon', 'circle', 'ltree', 'pg_lsn',
  'nvarchar', 'nchar', 'ntext',
]);

/** The property schema for one column, before the generator adds descriptions and extensions. */
export function mapColumn(column: DbColumn): MappedColumn {
  const base = column.enumValues && column.enumValues.length > 0 ? { type: 'string', enum: [...column.enumValues] } : mapScalar(column);
  const unmapped = base === undefined;
  const scalar: JsonSchema = base ?? {};
  const valueSchema: JsonSchema = column.isArray ? { type: 'array', items: scalar } : scalar;
  return { schema: column.nullable ? withNull(valueSchema) : valueSchema, unmapped };
}

const MSSQL_INT_RANGES: Readonly<Record<string, readonly [number, number]>> = {
  tinyint: [0, 255],
  smallint: [-32768, 32767],
  int: [-2147483648, 2147483647],
};

const MSSQL_STRING_TYPES = new Set(['char', 'varchar', 'nchar', 'nvarchar', 'text', 'ntext', 'xml', 'sysname']);

/** SQL Server types with no JSON equivalent, and why (init reports them as unmapped). */
export const MSSQL_UNSUPPORTED: Readonly<Record<string, string>> = {
  hierarchyid: 'a CLR type the driver returns as raw bytes; expose it through a view that converts it with ToString()',
  sql_variant: 'its type varies per row; expose it through a view that casts it to one type',
  geography: 'a spatial CLR type; expose it through a view that converts it with STAsText()',
  geometry: 'a spatial CLR type; expose it through a view that converts it with STAsText()',
};

/** Why a column's type has no mapping, where there is more to say than that. */
export function unmappedReason(column: DbColumn): string | undefined {
  return column.typeSystem === 'mssql' ? MSSQL_UNSUPPORTED[column.dataType] : undefined;
}

function mapMssqlScalar(column: DbColumn): JsonSchema | undefined {
  const type = column.dataType;
  const range = MSSQL_INT_RANGES[type];
  if (range) return { type: 'integer', minimum: range[0], maximum: range[1] };
  switch (type) {
    case 'bigint':
      return { type: 'string', format: 'int64', pattern: '^-?\\d{1,19}$' };
    case 'decimal':
    case 'numeric':
      return { type: 'string', format: 'decimal', pattern: decimalPattern(column.precision, column.scale) };
    case 'money':
      return { type: 'string', format: 'decimal', pattern: decimalPattern(19, 4) };
    case 'smallmoney':
      return { type: 'string', format: 'decimal', pattern: decimalPattern(10, 4) };
    case 'float':
      return { type: 'number', format: 'double' };
    case 'real':
      return { type: 'number', format: 'float' };
    case 'bit':
      return { type: 'boolean' };
    case 'uniqueidentifier':
      return { type: 'string', format: 'uuid' };
    case 'date':
      return { type: 'string', format: 'date' };
    case 'time':
      return { type: 'string', format: 'time' };
    case 'datetime':
    case 'datetime2':
    case 'smalldatetime':
    case 'datetimeoffset':
      return { type: 'string', format: 'date-time' };
    case 'binary':
    case 'varbinary':
    case 'image':
    case 'rowversion':
    case 'timestamp':
      return { type: 'string', format: 'byte', contentEncoding: 'base64' };
    default:
      break;
  }
  if (MSSQL_STRING_TYPES.has(type)) {
    return column.maxLength === undefined ? { type: 'string' } : { type: 'string', maxLength: column.maxLength };
  }
  return undefined;
}

function mapScalar(column: DbColumn): JsonSchema | undefined {
  if (column.typeSystem === 'mssql') return mapMssqlScalar(column);
  const type = column.dataType;
  const range = INT_RANGES[type];
  if (range) return { type: 'integer', minimum: range[0], maximum: range[1] };
  switch (type) {
    case 'int8':
      return { type: 'string', format: 'int64', pattern: '^-?\\d{1,19}$' };
    case 'numeric':
      return { type: 'string', format: 'decimal', pattern: decimalPattern(column.precision, column.scale) };
    case 'float4':
      return { type: 'number', format: 'float' };
    case 'float8':
      return { type: 'number', format: 'double' };
    case 'bool':
      return { type: 'boolean' };
    case 'uuid':
      return { type: 'string', format: 'uuid' };
    case 'date':
      return { type: 'string', format: 'date' };
    case 'timestamp':
    case 'timestamptz':
      return { type: 'string', format: 'date-time' };
    case 'time':
    case 'timetz':
      return { type: 'string', format: 'time' };
    case 'bytea':
      return { type: 'string', format: 'byte', contentEncoding: 'base64' };
    case 'json':
    case 'jsonb':
      return {};
    case 'bit':
    case 'varbit':
      return { type: 'string', pattern: '^[01]*$', ...(column.maxLength === undefined ? {} : { maxLength: column.maxLength }) };
    default:
      break;
  }
  if (STRING_TYPES.has(type)) {
    return column.maxLength === undefined ? { type: 'string' } : { type: 'string', maxLength: column.maxLength };
  }
  return undefined;
}

/** Whether the column holds JSON documents (the planner then sends values as JSON text). */
export function isJsonColumn(column: DbColumn): boolean {
  return column.typeSystem !== 'mssql' && (column.dataType === 'json' || column.dataType === 'jsonb');
}

/** numeric(p,s): at most p−s digits before the point and s after it; unconstrained: any decimal. */
function decimalPattern(precision: number | undefined, scale: number | undefined): string {
  if (precision === undefined || precision <= 0) return '^-?\\d+(\\.\\d+)?$';
  const s = Math.max(0, Math.min(scale ?? 0, precision));
  const whole = precision - s;
  if (s === 0) return `^-?\\d{1,${whole}}$`;
  if (whole === 0) return `^-?0?\\.\\d{1,${s}}$|^-?0$`;
  return `^-?\\d{1,${whole}}(\\.\\d{1,${s}})?$`;
}

/** Adds null to what the schema accepts: to `type` (and `enum`); an untyped schema already accepts null. */
export function withNull(schema: JsonSchema): JsonSchema {
  if (schema.type === undefined) return schema;
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
  const out: JsonSchema = { ...schema, type: types.includes('null') ? types : [...types, 'null'] };
  if (Array.isArray(schema.enum) && !schema.enum.includes(null)) out.enum = [...(schema.enum as unknown[]), null];
  return out;
}

/**
 * A column's default as a JSON value of its mapped type, when it is a plain literal (`0`, `'A'::bpchar`, `true`);
 * undefined for expressions (`now()`, `nextval(…)`), which the database evaluates per row.
 */
export function literalDefault(column: DbColumn, schema: JsonSchema): unknown {
  const expr = column.defaultValue?.trim();
  if (expr === undefined || column.isArray) return undefined;
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type];
  const main = types.find((t) => t !== 'null');
  let text: string | undefined;
  const quoted = /^'((?:[^']|'')*)'(?:::[\w\s".]+)?$/.exec(expr);
  if (quoted) text = quoted[1]!.replaceAll("''", "'");
  else if (/^\(?-?\d+(\.\d+)?\)?(::[\w\s".]+)?$/.test(expr)) text = expr.replace(/::.*$/, '').replace(/[()]/g, '');
  else if (/^(true|false)$/i.test(expr)) text = expr.toLowerCase();
  if (text === undefined) return undefined;
  // The database's text for these differs from the JSON form (no `T`, no offset, hex bytes): describe, don't copy.
  if (schema.format === 'date-time' || schema.format === 'time' || schema.format === 'byte') return undefined;
  let value: unknown;
  if (main === 'integer' || main === 'number') value = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : undefined;
  else if (main === 'boolean') value = text === 'true' || text === 't' ? true : text === 'false' || text === 'f' ? false : undefined;
  else if (main === 'string') value = text;
  if (value === undefined) return undefined;
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) return undefined;
  if (typeof value === 'string' && typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) {
    return undefined;
  }
  if (typeof value === 'string' && typeof schema.maxLength === 'number' && [...value].length > schema.maxLength) return undefined;
  return value;
}
