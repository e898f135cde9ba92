// The PostgREST query grammar (parse-read) on its own: edge cases of filters, select, order and paging, no database.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { AppError } from '../src/errors/app-error.js';
import { loadSpecFile } from '../src/openapi/load-spec.js';
import type { Resource } from '../src/openapi/resource.js';
import { createValidatorFactory } from '../src/openapi/validators.js';
import { parseFilters, parseReadRequest, type ColumnScope } from '../src/query/parse-read.js';
import type { ReadRequest } from '../src/query/types.js';
import { ERP_SPEC } from './support/project.js';

const LIMITS = { defaultPageSize: 25, maxPageSize: 100 };

let resources: Map<string, Resource>;
const validators = createValidatorFactory();

before(async () => {
  const spec = await loadSpecFile(ERP_SPEC);
  resources = new Map(spec.resources.map((r) => [r.name, r]));
});

function scopeOf(name: string, visible?: readonly string[]): ColumnScope {
  const resource = resources.get(name)!;
  return { resource, visible: new Set(visible ?? resource.columns.keys()), validators: validators.forResource(resource) };
}

function parse(query: string, resource = 'customers', visible?: readonly string[]): ReadRequest {
  return parseReadRequest(new URLSearchParams(query), scopeOf(resource, visible), LIMITS);
}

/** The AppError a parse throws: its code (and status), so tests read as the caller sees them. */
function refusal(query: string, resource = 'customers', visible?: readonly string[]): AppError {
  try {
    parse(query, resource, visible);
  } catch (err) {
    assert.ok(err instanceof AppError, String(err));
    return err;
  }
  assert.fail(`"${query}" was accepted`);
}

describe('filters', () => {
  it('when a filter value holds dots, then only the first dot separates the operator', () => {
    assert.deepEqual(parse('name=eq.J. R. R. Tolkien').filters, [{ column: 'name', op: 'eq', value: 'J. R. R. Tolkien', negate: false }]);
  });

  it('when the value is empty, then it is the empty string, not a missing value', () => {
    assert.deepEqual(parse('name=eq.').filters[0], { column: 'name', op: 'eq', value: '', negate: false });
  });

  it('when an integer column is filtered, then the value is a number; a decimal or a word is refused', () => {
    assert.deepEqual(parse('id=gte.-3').filters[0], { column: 'id', op: 'gte', value: -3, negate: false });
    assert.equal(refusal('id=eq.1.5').code, 'invalid_filter_value');
    assert.equal(refusal('id=eq.1e3').code, 'invalid_filter_value');
    assert.equal(refusal('id=eq.3000000000').code, 'invalid_filter_value');
  });

  it('when a boolean column is filtered with eq, then only true and false are accepted', () => {
    assert.equal(parse('discontinued=eq.true', 'items').filters[0]!.op, 'eq');
    assert.deepEqual(parse('discontinued=eq.false', 'items').filters[0], { column: 'discontinued', op: 'eq', value: false, negate: false });
    assert.equal(refusal('discontinued=eq.1', 'items').code, 'invalid_filter_value');
  });

  it('when the column documents an enum or a format, then values outside it are refused', () => {
    assert.equal(refusal('region=eq.EU').code, 'invalid_filter_value');
    assert.equal(refusal('createdAt=gt.last-week').code, 'invalid_filter_value');
    assert.equal(parse('createdAt=gt.2024-01-01T00:00:00Z').filters[0]!.op, 'gt');
  });

  it('when not. prefixes an operator, then the filter is negated; not.not. is refused', () => {
    assert.deepEqual(parse('status=not.in.(I,H)').filters[0], { column: 'status', op: 'in', values: ['I', 'H'], negate: true });
    assert.equal(refusal('status=not.not.eq.A').code, 'unknown_operator');
  });

  it('when in lists values, then quotes protect commas and parentheses, a backslash escapes a quote, spaces are trimmed', () => {
    const filter = parse('name=in.( a , "b, c" ,"d)e","f\\"g", "  h  ")').filters[0];
    assert.deepEqual(filter, { column: 'name', op: 'in', values: ['a', 'b, c', 'd)e', 'f"g', '  h  '], negate: false });
  });

  it('when in is empty, then the filter matches nothing rather than failing', () => {
    assert.deepEqual(parse('id=in.()').filters[0], { column: 'id', op: 'in', values: [], negate: false });
  });

  it('when in lacks parentheses, leaves a quote open or runs on after a quote, then 400 invalid_filter', () => {
    assert.equal(refusal('id=in.1,2').code, 'invalid_filter');
    assert.equal(refusal('name=in.("a,b)').code, 'invalid_filter');
    assert.equal(refusal('name=in.("a"b,c)').code, 'invalid_filter');
    assert.equal(refusal('id=in.(1,x)').code, 'invalid_filter_value');
  });

  it('when like or ilike is used, then * becomes % and the column must be text', () => {
    assert.deepEqual(parse('name=ilike.*an*').filters[0], { column: 'name', op: 'ilike', value: '%an%', negate: false });
    assert.equal(refusal('id=like.1*').code, 'invalid_filter');
  });

  it('when is is used, then null, not_null, true and false are accepted in any case, nothing else', () => {
    assert.deepEqual(parse('street=is.NULL').filters[0], { column: 'street', op: 'is', value: 'null', negate: false });
    assert.equal(parse('street=is.not_null').filters[0]!.op, 'is');
    assert.equal(refusal('street=is.empty').code, 'invalid_filter');
  });

  it('when the operator is missing its value or unknown, then the error says how to write it', () => {
    assert.equal(refusal('name=eq').code, 'invalid_filter');
    const unknown = refusal('name=eqq.x');
    assert.equal(unknown.code, 'unknown_operator');
    assert.match(String(unknown.extras.hint), /did you mean "eq"/);
  });

  it('when one column is filtered twice, then both filters apply', () => {
    assert.deepEqual(
      parse('id=gt.10&id=lt.20').filters.map((f) => f.op),
      ['gt', 'lt'],
    );
  });

  it('when a column is hidden from the caller, then it is unknown in filters, select and order, and the hint does not name it', () => {
    const visible = ['id', 'name', 'region'];
    for (const query of ['email=eq.x', 'select=id,email', 'order=email']) {
      const err = refusal(query, 'customers', visible);
      assert.equal(err.code, 'unknown_column', query);
      assert.doesNotMatch(String(err.extras.hint), /email/, query);
    }
  });

  it('when parsing filters for a collection write, then the reserved parameters are not filters', () => {
    const filters = parseFilters(new URLSearchParams('select=id&order=id&limit=3&region=eq.EMEA'), scopeOf('customers'));
    assert.deepEqual(filters, [{ column: 'region', op: 'eq', value: 'EMEA', negate: false }]);
  });
});

describe('select, order and paging', () => {
  it('when select holds *, spaces and duplicates, then it expands, trims and keeps the first occurrence', () => {
    assert.deepEqual(parse('select= name , id,name').select, ['name', 'id']);
    assert.deepEqual(parse('select=*', 'customer-balances').select, ['customerId', 'customerName', 'region', 'orderCount', 'openAmount']);
    assert.equal(parse('').select, undefined);
    assert.equal(refusal('select=id,,name').code, 'invalid_select');
  });

  it('when order has modifiers, then direction defaults to asc and nulls to the database default', () => {
    assert.deepEqual(parse('order=creditLimit.desc.nullslast,name,id.nullsfirst').order, [
      { column: 'creditLimit', direction: 'desc', nulls: 'last' },
      { column: 'name', direction: 'asc', nulls: undefined },
      { column: 'id', direction: 'asc', nulls: 'first' },
    ]);
  });

  it('when order repeats a column or has an unknown modifier, then 400 invalid_order', () => {
    assert.equal(refusal('order=name,name.desc').code, 'invalid_order');
    assert.equal(refusal('order=name.descending').code, 'invalid_order');
  });

  it('when limit is absent, then the default page size applies; at the maximum it is accepted; above it is refused', () => {
    assert.equal(parse('').limit, 25);
    assert.equal(parse('limit=100').limit, 100);
    const err = refusal('limit=101');
    assert.equal(err.code, 'limit_too_large');
    assert.equal(err.status, 400);
  });

  it('when limit or offset is not a whole number in range, then 400 invalid_parameter', () => {
    for (const q of ['limit=0', 'limit=-1', 'limit=ten', 'limit=1.5', 'offset=-1', 'offset=1e3', 'limit=9999999999']) {
      assert.equal(refusal(q).code, 'invalid_parameter', q);
    }
    assert.equal(parse('offset=0').offset, 0);
  });

  it('when cursor and offset are both given, or a paging parameter twice, then 400', () => {
    assert.equal(refusal('cursor=abc&offset=5').code, 'invalid_pagination');
    assert.equal(refusal('offset=1&offset=2').code, 'duplicate_parameter');
    assert.equal(refusal('order=id&order=name').code, 'duplicate_parameter');
  });
});
