// Pure policy evaluation and start-up validation of rules against the ERP contract.
import assert from 'node:assert/strict';
import path from 'node:path';
import { before, describe, test } from 'node:test';
import type { Principal } from '../src/auth/principal.js';
import type { PolicyRuleConfig } from '../src/config/types.js';
import { ConfigError } from '../src/errors/app-error.js';
import { loadSpecFile, type LoadedSpec } from '../src/openapi/load-spec.js';
import type { Operation } from '../src/openapi/resource.js';
import { compilePolicies } from '../src/policy/compile-policies.js';
import { evaluatePolicy } from '../src/policy/evaluate.js';
import { maskValue } from '../src/policy/mask.js';

let spec: LoadedSpec;
before(async () => {
  spec = await loadSpecFile(path.join(import.meta.dirname, '..', 'openapi', 'erp.yaml'));
});

function op(operationId: string): Operation {
  const found = spec.operations.find((o) => o.operationId === operationId);
  assert.ok(found, `operation ${operationId} exists`);
  return found;
}

function principal(scopes: string[], claims: Record<string, unknown> = {}, roles: string[] = []): Principal {
  return { subject: 'u1', clientId: 'app-1', scopes: new Set(scopes), roles: new Set(roles), tokenId: 'j1', claims: { sub: 'u1', ...claims } };
}

const salesRules: PolicyRuleConfig[] = [
  {
    name: 'sales-read',
    scopes: ['customers:read'],
    resource: 'customers',
    operations: ['read'],
    columns: { read: ['id', 'name', 'region', 'email'] },
    rows: { region: { eq: '{claims.region}' } },
    mask: { email: 'partial' },
  },
  {
    name: 'sales-write',
    scopes: ['customers:write'],
    resource: 'customers',
    operations: ['create', 'update'],
    columns: { write: ['name', 'email', 'region'] },
    rows: { region: { eq: '{claims.region}' } },
    maxAffected: 5,
  },
];

describe('policy evaluation', () => {
  test('when no rule names the caller, then the request is denied (deny by default)', () => {
    const policy = compilePolicies({ rules: salesRules }, spec.resources);
    const result = evaluatePolicy(policy, principal(['items:read']), op('listItems'));
    assert.equal(result.allowed, false);
    if (!result.allowed) {
      assert.equal(result.error.status, 403);
      assert.ok(['insufficient_scope', 'policy_denied'].includes(result.error.code));
    }
  });

  test('when a token lacks the scope the operation requires, then 403 insufficient_scope with WWW-Authenticate', () => {
    const policy = compilePolicies({ rules: salesRules }, spec.resources);
    const result = evaluatePolicy(policy, principal(['customers:read']), op('createCustomer'));
    assert.equal(result.allowed, false);
    if (!result.allowed) {
      assert.equal(result.error.code, 'insufficient_scope');
      assert.match(result.error.headers['WWW-Authenticate'] ?? '', /error="insufficient_scope", scope="customers:write"/);
    }
  });

  test('when a rule matches, then columns, masks and the claim-bound row rule make the decision', () => {
    const policy = compilePolicies({ rules: salesRules }, spec.resources);
    const result = evaluatePolicy(policy, principal(['customers:read'], { region: 'EMEA' }), op('listCustomers'));
    assert.equal(result.allowed, true);
    if (!result.allowed) return;
    const d = result.decision;
    assert.deepEqual([...d.visible].sort(), ['email', 'id', 'name', 'region']);
    assert.equal(d.filterable.has('email'), false, 'a masked column cannot be filtered on');
    assert.deepEqual(d.rowFilters, [{ column: 'region', op: 'eq', value: 'EMEA', negate: false }]);
    assert.equal(d.rule, 'sales-read');
  });

  test('when the claim a row rule needs is missing, then the request is denied rather than unfiltered', () => {
    const policy = compilePolicies({ rules: salesRules }, spec.resources);
    const result = evaluatePolicy(policy, principal(['customers:read']), op('listCustomers'));
    assert.equal(result.allowed, false);
    if (!result.allowed) {
      assert.equal(result.error.code, 'policy_claim_missing');
      assert.equal(result.rule, 'sales-read');
    }
  });

  test('when a write rule lists writable columns, then only those are writable and its cap applies', () => {
    const policy = compilePolicies({ rules: salesRules }, spec.resources);
    const result = evaluatePolicy(policy, principal(['customers:write'], { region: 'APAC' }), op('updateCustomer'));
    assert.equal(result.allowed, true);
    if (!result.allowed) return;
    assert.deepEqual([...result.decision.writable].sort(), ['email', 'name', 'region']);
    assert.equal(result.decision.maxAffected, 5);
  });

  test('when the rule does not grant the operation kind, then it is denied even with the scope', () => {
    const policy = compilePolicies({ rules: salesRules }, spec.resources);
    const result = evaluatePolicy(policy, principal(['customers:write'], { region: 'APAC' }), op('deleteCustomer'));
    assert.equal(result.allowed, false);
  });

  test('when rules are matched by role or client id, then the first matching rule wins', () => {
    const policy = compilePolicies(
      {
        rules: [
          { name: 'by-role', roles: ['auditor'], resource: 'items', columns: { read: ['code'] } },
          { name: 'by-client', clients: ['app-1'], resource: 'items' },
        ],
      },
      spec.resources,
    );
    const byRole = evaluatePolicy(policy, principal(['items:read'], {}, ['auditor']), op('listItems'));
    assert.ok(byRole.allowed && byRole.decision.rule === 'by-role');
    const byClient = evaluatePolicy(policy, principal(['items:read']), op('listItems'));
    assert.ok(byClient.allowed && byClient.decision.rule === 'by-client');
  });
});

describe('claims of the wrong type', () => {
  const rule = (rows: Record<string, unknown>): PolicyRuleConfig[] => [{ name: 'r', scopes: ['customers:read'], resource: 'customers', rows } as PolicyRuleConfig];
  const evaluate = (rows: Record<string, unknown>, claims: Record<string, unknown>) =>
    evaluatePolicy(compilePolicies({ rules: rule(rows) }, spec.resources), principal(['customers:read'], claims), op('listCustomers'));
  const denial = (result: ReturnType<typeof evaluate>): string => (result.allowed ? 'allowed' : result.error.code);

  test('when a list claim meets any operator but in, then the rule denies instead of reading it as in', () => {
    for (const operator of ['eq', 'neq', 'lt', 'gte', 'like', 'ilike']) {
      assert.equal(denial(evaluate({ region: { [operator]: '{claims.region}' } }, { region: ['APAC'] })), 'policy_claim_invalid', operator);
    }
  });

  test('when a list claim meets in, as the whole list or as one of its elements, then its elements are the list', () => {
    for (const value of ['{claims.regions}', ['{claims.regions}'], ['{claims.regions}', 'APAC']]) {
      const result = evaluate({ region: { in: value } }, { regions: ['EMEA', 'AMER'] });
      assert.ok(result.allowed);
      const filter = result.decision.rowFilters[0]!;
      assert.ok(filter.op === 'in');
      assert.deepEqual(filter.values, Array.isArray(value) && value.length === 2 ? ['EMEA', 'AMER', 'APAC'] : ['EMEA', 'AMER']);
    }
  });

  test('when a claim is an object, a nested list, or of another type than its column, then the rule denies', () => {
    assert.equal(denial(evaluate({ region: { eq: '{claims.region}' } }, { region: { any: true } })), 'policy_claim_invalid');
    assert.equal(denial(evaluate({ region: { in: '{claims.regions}' } }, { regions: [['APAC'], 'EMEA'] })), 'policy_claim_invalid');
    assert.equal(denial(evaluate({ region: { in: '{claims.regions}' } }, { regions: [{}] })), 'policy_claim_invalid');
    assert.equal(denial(evaluate({ id: { eq: '{claims.customer}' } }, { customer: 'seven' })), 'policy_claim_invalid');
    assert.equal(denial(evaluate({ id: { eq: '{claims.customer}' } }, { customer: 7.5 })), 'policy_claim_invalid');
    assert.equal(denial(evaluate({ region: { eq: '{claims.region}' } }, { region: true })), 'policy_claim_invalid');
  });

  test('when a claim fits its column (a numeric string for an integer, a number for text), then it is bound as that type', () => {
    const byId = evaluate({ id: { eq: '{claims.customer}' } }, { customer: '7' });
    assert.ok(byId.allowed);
    assert.deepEqual(byId.decision.rowFilters, [{ column: 'id', op: 'eq', value: 7, negate: false }]);
    const byName = evaluate({ name: { eq: '{claims.employee}' } }, { employee: 4711 });
    assert.ok(byName.allowed);
    assert.deepEqual(byName.decision.rowFilters, [{ column: 'name', op: 'eq', value: '4711', negate: false }]);
  });
});

describe('row rules through a foreign key', () => {
  const ordersOfRegion: PolicyRuleConfig = {
    name: 'orders-by-region',
    scopes: ['orders:read'],
    resource: 'orders',
    rows: { customerId: { in: { resource: 'customers', property: 'id', rows: { region: { eq: '{claims.region}' } } } } },
  };

  test('when a rule goes through the customer key, then the decision holds a subquery in database names with the claim bound', () => {
    const result = evaluatePolicy(compilePolicies({ rules: [ordersOfRegion] }, spec.resources), principal(['orders:read'], { region: 'EMEA' }), op('listOrders'));
    assert.ok(result.allowed);
    assert.deepEqual(result.decision.rowFilters, [
      {
        column: 'customerId',
        op: 'inSubquery',
        subquery: {
          table: { schema: undefined, name: 'CUST_MSTR' },
          column: 'CUST_ID',
          filters: [{ column: 'REGION', op: 'eq', value: 'EMEA', negate: false }],
          classifications: { CUST_NAME: 'pii', EMAIL_ADDR: 'pii', 'Credit Limit': 'confidential', Straße: 'pii' },
        },
        negate: false,
      },
    ]);
    const missing = evaluatePolicy(compilePolicies({ rules: [ordersOfRegion] }, spec.resources), principal(['orders:read']), op('listOrders'));
    assert.ok(!missing.allowed && missing.error.code === 'policy_claim_missing');
  });

  test('when a rule goes through an unknown resource or property, or one of another type, then start-up fails naming it', () => {
    assert.throws(
      () =>
        compilePolicies(
          {
            rules: [
              { ...ordersOfRegion, name: 'a', rows: { customerId: { in: { resource: 'customer', property: 'id', rows: { region: { eq: 'EMEA' } } } } } },
              { ...ordersOfRegion, name: 'b', rows: { customerId: { in: { resource: 'customers', property: 'idd', rows: { region: { eq: 'EMEA' } } } } } },
              { ...ordersOfRegion, name: 'c', rows: { customerId: { in: { resource: 'customers', property: 'name', rows: { region: { eq: 'EMEA' } } } } } },
              { ...ordersOfRegion, name: 'd', rows: { customerId: { in: { resource: 'customers', property: 'id', rows: { regoin: { eq: 'EMEA' } } } } } },
              { ...ordersOfRegion, name: 'e', rows: { customerId: { in: { resource: 'customers', property: 'id' } } } },
              { ...ordersOfRegion, name: 'f', rows: { status: { eq: ['OPEN'] } } },
            ],
          },
          spec.resources,
        ),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        const text = err.problems.join('\n');
        assert.match(text, /\(a\)\.rows\.customerId\.in\.resource: "customer" is not a resource of the contract \(did you mean "customers"\?\)/);
        assert.match(text, /\(b\)\.rows\.customerId\.in\.property: "idd" is not a property of customers/);
        assert.match(text, /\(c\)\.rows\.customerId\.in\.property: customers\.name is string, but orders\.customerId is integer/);
        assert.match(text, /\(d\)\.rows\.customerId\.in\.rows: "regoin" is not a property of customers \(did you mean "region"\?\)/);
        assert.match(text, /\(e\)\.rows\.customerId\.in\.rows: must name the rows of customers/);
        assert.match(text, /\(f\)\.rows\.status\.eq: takes one value; only in takes a list/);
        return true;
      },
    );
  });
});

describe('policy validation at start-up', () => {
  test('when a rule names an unknown resource or column, then start-up fails naming each, with did-you-mean', () => {
    assert.throws(
      () =>
        compilePolicies(
          {
            rules: [
              { name: 'typo', scopes: ['x'], resource: 'customer', columns: { read: ['id'] } },
              { name: 'col', scopes: ['x'], resource: 'customers', columns: { read: ['emial'] }, rows: { regoin: { eq: 'EMEA' } } },
            ],
          },
          spec.resources,
        ),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        const text = err.problems.join('\n');
        assert.match(text, /resource: "customer" is not a resource of the contract \(did you mean "customers"\?\)/);
        assert.match(text, /columns.read: "emial" is not a property of customers \(did you mean "email"\?\)/);
        assert.match(text, /rows: "regoin" is not a property of customers \(did you mean "region"\?\)/);
        return true;
      },
    );
  });

  test('when a rule applies to nobody, writes a read-only column or misuses a claim reference, then start-up fails', () => {
    assert.throws(
      () =>
        compilePolicies(
          {
            rules: [
              { name: 'nobody', resource: 'customers' },
              { name: 'ro', scopes: ['x'], resource: 'customers', columns: { write: ['id'] } },
              { name: 'claim', scopes: ['x'], resource: 'customers', rows: { region: { eq: 'prefix-{claims.region}' } } },
            ],
          },
          spec.resources,
        ),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        const text = err.problems.join('\n');
        assert.match(text, /applies to nobody|would apply to nobody/);
        assert.match(text, /"id" is read-only/);
        assert.match(text, /claim reference is the whole value/);
        return true;
      },
    );
  });
});

describe('masking', () => {
  test('full, partial and keyed-hash masks hide values; null stays null', () => {
    assert.equal(maskValue('full', 'secret@example.com', undefined), '****');
    assert.equal(maskValue('partial', '4111111111111111', undefined), '****1111');
    const a = maskValue('hash', 'x@example.com', 'k'.repeat(16));
    const b = maskValue('hash', 'x@example.com', 'k'.repeat(16));
    const c = maskValue('hash', 'x@example.com', 'j'.repeat(16));
    assert.equal(a, b);
    assert.notEqual(a, c);
    assert.doesNotMatch(String(a), /example/);
    assert.equal(maskValue('full', null, undefined), null);
  });
});
