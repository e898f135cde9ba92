// The openapi-typescript types are current, and a client typed with them reads what the gateway serves.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import openapiTS, { astToString } from 'openapi-typescript';
import { seedErp } from '../src/demo/erp-schema.js';
import type { components, operations } from './generated/erp-api.js';
import { startGateway, testConfig } from './support/gateway.js';
import { ERP_SPEC, projectRoot } from './support/project.js';

type Customer = components['schemas']['Customer'];
type ListCustomers = operations['listCustomers']['responses']['200']['content']['application/json'];

test('the committed generated types match the contract (run npm run gen:types after editing it)', async () => {
  const fresh = astToString(await openapiTS(new URL(`file://${ERP_SPEC}`)));
  const committed = await readFile(path.join(projectRoot, 'test', 'generated', 'erp-api.ts'), 'utf8');
  assert.ok(committed.endsWith(fresh), 'test/generated/erp-api.ts is stale');
});

test('a client typed from the contract reads customers with the documented property names and types', async () => {
  const gw = await startGateway({ config: testConfig({ source: { client: 'pglite' } }), seed: (db) => seedErp(db) });
  try {
    const res = await gw.http.get('/customers?limit=3&order=id');
    assert.equal(res.status, 200);
    const customers: ListCustomers = res.body;
    assert.equal(customers.length, 3);
    const first: Customer = customers[0]!;
    assert.equal(typeof first.id, 'number');
    assert.equal(typeof first.name, 'string');
    assert.ok(first.email === null || /@example\.com$/.test(String(first.email)));
    assert.ok(first.creditLimit === null || /^\d+\.\d{2}$/.test(String(first.creditLimit)), 'decimals keep their precision as strings');
  } finally {
    await gw.close();
  }
});
