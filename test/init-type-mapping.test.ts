// The documented type-mapping rule of `gatehouse init`: database column → JSON Schema property.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { DbColumn } from '../src/db/catalog.js';
import { literalDefault, mapColumn, unmappedReason } from '../src/init/type-mapping.js';

function column(dataType: string, extra: Partial<DbColumn> = {}): DbColumn {
  return {
    name: 'c',
    dataType,
    nullable: false,
    defaultValue: undefined,
    generated: false,
    maxLength: undefined,
    precision: undefined,
    scale: undefined,
    isArray: false,
    enumValues: undefined,
    comment: undefined,
    ...extra,
  };
}

const ajv = new Ajv2020({ strict: false });
const accepts = (schema: Record<string, unknown>, value: unknown): boolean => ajv.validate(schema, value) as boolean;

describe('init type mapping', () => {
  it('when a column is bigint or numeric, then it is a string with a format, so no precision is lost', () => {
    const big = mapColumn(column('int8')).schema;
    assert.deepEqual(big, { type: 'string', format: 'int64', pattern: '^-?\\d{1,19}$' });
    assert.ok(accepts(big, '9007199254740993'));
    assert.ok(!accepts(big, 9007199254740992));
    const money = mapColumn(column('numeric', { precision: 12, scale: 2 })).schema;
    assert.equal(money.type, 'string');
    assert.equal(money.format, 'decimal');
    assert.ok(accepts(money, '-9999999999.99'));
    assert.ok(!accepts(money, '99999999999.99'), 'eleven integer digits exceed numeric(12,2)');
    assert.ok(!accepts(money, '1.999'), 'three fraction digits exceed scale 2');
    const fraction = mapColumn(column('numeric', { precision: 2, scale: 2 })).schema;
    assert.ok(accepts(fraction, '0.25') && accepts(fraction, '-.5') && !accepts(fraction, '1.5'));
    assert.ok(accepts(mapColumn(column('numeric')).schema, '123456789012345678901234567890.123456789'));
  });

  it('when a column is a small integer, date, timestamp, uuid, bytea or json, then it maps as the rule says', () => {
    assert.deepEqual(mapColumn(column('int2')).schema, { type: 'integer', minimum: -32768, maximum: 32767 });
    assert.deepEqual(mapColumn(column('date')).schema, { type: 'string', format: 'date' });
    assert.deepEqual(mapColumn(column('timestamp')).schema, { type: 'string', format: 'date-time' });
    assert.deepEqual(mapColumn(column('timestamptz')).schema, { type: 'string', format: 'date-time' });
    assert.deepEqual(mapColumn(column('uuid')).schema, { type: 'string', format: 'uuid' });
    assert.deepEqual(mapColumn(column('bytea')).schema, { type: 'string', format: 'byte', contentEncoding: 'base64' });
    assert.deepEqual(mapColumn(column('jsonb', { nullable: true })).schema, {}, 'any JSON value, null included');
    assert.deepEqual(mapColumn(column('varchar', { maxLength: 80 })).schema, { type: 'string', maxLength: 80 });
    assert.deepEqual(mapColumn(column('float8')).schema, { type: 'number', format: 'double' });
  });

  it('when a column is nullable, an enum or an array, then null, the labels and items are part of the schema', () => {
    const status = mapColumn(column('order_status', { enumValues: ['NEW', 'PAID'], nullable: true })).schema;
    assert.deepEqual(status, { type: ['string', 'null'], enum: ['NEW', 'PAID', null] });
    assert.ok(accepts(status, null) && accepts(status, 'PAID') && !accepts(status, 'LOST'));
    const tags = mapColumn(column('text', { isArray: true })).schema;
    assert.deepEqual(tags, { type: 'array', items: { type: 'string' } });
    const dates = mapColumn(column('date', { isArray: true, nullable: true })).schema;
    assert.deepEqual(dates, { type: ['array', 'null'], items: { type: 'string', format: 'date' } });
  });

  it('when a type has no rule, then the property accepts anything and is flagged as unmapped', () => {
    const mapped = mapColumn(column('geometry'));
    assert.equal(mapped.unmapped, true);
    assert.deepEqual(mapped.schema, {});
  });

  it('when a default is a literal, then it becomes the schema default; an expression does not', () => {
    const withDefault = (type: string, defaultValue: string, extra: Partial<DbColumn> = {}) => {
      const c = column(type, { defaultValue, ...extra });
      return literalDefault(c, mapColumn(c).schema);
    };
    assert.equal(withDefault('bool', 'true'), true);
    assert.equal(withDefault('int4', '0'), 0);
    assert.equal(withDefault('int4', '(-1)'), -1);
    assert.equal(withDefault('bpchar', "'A'::bpchar", { maxLength: 1 }), 'A');
    assert.equal(withDefault('text', "'it''s'::text"), "it's");
    assert.equal(withDefault('numeric', '0', { precision: 14, scale: 2 }), '0');
    assert.equal(withDefault('int8', "'12'::bigint"), '12');
    assert.equal(withDefault('timestamptz', 'now()'), undefined);
    assert.equal(withDefault('int4', "nextval('seq'::regclass)"), undefined);
    assert.equal(withDefault('bpchar', "'TOO LONG'::bpchar", { maxLength: 2 }), undefined, 'a default the schema would refuse is left out');
  });

  it('when a SQL Server column is bit, money, datetimeoffset, uniqueidentifier or nvarchar(max), then it maps as SQL Server means it', () => {
    const ms = (dataType: string, extra: Partial<DbColumn> = {}): DbColumn => column(dataType, { typeSystem: 'mssql', ...extra });
    assert.deepEqual(mapColumn(ms('bit')).schema, { type: 'boolean' });
    assert.deepEqual(mapColumn(ms('int')).schema, { type: 'integer', minimum: -2147483648, maximum: 2147483647 });
    assert.deepEqual(mapColumn(ms('tinyint')).schema, { type: 'integer', minimum: 0, maximum: 255 });
    assert.equal(mapColumn(ms('bigint')).schema.format, 'int64');
    const money = mapColumn(ms('money')).schema;
    assert.equal(money.format, 'decimal');
    assert.ok(accepts(money, '1234.5600') && !accepts(money, '1.23456'));
    assert.ok(accepts(mapColumn(ms('decimal', { precision: 12, scale: 2 })).schema, '1234.50'));
    for (const type of ['datetime', 'datetime2', 'smalldatetime', 'datetimeoffset']) {
      assert.deepEqual(mapColumn(ms(type)).schema, { type: 'string', format: 'date-time' });
    }
    assert.deepEqual(mapColumn(ms('uniqueidentifier')).schema, { type: 'string', format: 'uuid' });
    assert.deepEqual(mapColumn(ms('nvarchar')).schema, { type: 'string' }, 'nvarchar(max) has no maxLength');
    assert.deepEqual(mapColumn(ms('nvarchar', { maxLength: 40 })).schema, { type: 'string', maxLength: 40 });
    assert.deepEqual(mapColumn(ms('rowversion')).schema, { type: 'string', format: 'byte', contentEncoding: 'base64' });
    // PostgreSQL's bit is a bit string and its timestamp a date-time: the type system decides.
    assert.equal(mapColumn(column('bit')).schema.type, 'string');
    assert.equal(mapColumn(ms('timestamp')).schema.format, 'byte');
  });

  it('when a SQL Server column is hierarchyid or sql_variant, then it is unmapped with the reason init reports', () => {
    for (const type of ['hierarchyid', 'sql_variant']) {
      const c = column(type, { typeSystem: 'mssql' });
      assert.equal(mapColumn(c).unmapped, true);
      assert.match(String(unmappedReason(c)), /view/);
    }
    assert.equal(literalDefault(column('bit', { typeSystem: 'mssql', defaultValue: 'false' }), { type: 'boolean' }), false);
  });
});
