// `gatehouse init` on the demo ERP database, and the OpenAPI linter over both the generated and the shipped ERP contract.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { seedErp } from '../src/demo/erp-schema.js';
import { generateAndServe, type GeneratedGateway } from './support/generated-gateway.js';
import { backends } from './support/gateway.js';
import { ERP_SPEC } from './support/project.js';
import { describeProblems, redoclyLint } from './support/redocly-lint.js';
import { hmacAuth, SECRET, sign } from './support/auth-app.js';

for (const backend of backends().filter((b) => b.name !== 'PostgreSQL')) describe(`init on the demo ERP database on ${backend.name}`, { skip: backend.skip }, () => {
  let g: GeneratedGateway;
  before(async () => {
    const source = await backend.source('init_erp');
    g = await generateAndServe({
      url: source.client === 'pglite' ? undefined : source.url,
      client: source.client === 'mssql' ? 'mssql' : 'pg',
      sourceName: 'erp',
      seed: (db) => seedErp(db),
    });
  });
  after(async () => g?.close());

  it('when the generated document is linted with Redocly, then it has no errors', async () => {
    const result = await redoclyLint(g.specPath);
    assert.equal(result.errors, 0, describeProblems(result));
  });

  it('when it is served unchanged, then tables, the composite key, the keyless table and the view answer', async () => {
    const paths = Object.keys((g.generated.document as { paths: Record<string, unknown> }).paths);
    assert.deepEqual(paths, [
      '/cust-mstr',
      '/cust-mstr/{custId}',
      '/cust-note',
      '/item-mstr',
      '/item-mstr/{itemCd}',
      '/ord-hdr',
      '/ord-hdr/{ordNo}',
      '/ord-line',
      '/ord-line/{ordNo}/{lineNo}',
      '/v-cust-balance',
    ]);
    const customer = await g.http.get('/cust-mstr/1');
    assert.equal(customer.status, 200, customer.text);
    assert.equal(customer.body.custId, 1);
    assert.ok('straße' in customer.body === false && 'strasse' in customer.body, 'Straße is exposed as strasse');
    assert.ok('creditLimit' in customer.body);
    const line = await g.http.get('/ord-line/10001/1');
    assert.equal(line.status, 200, line.text);
    assert.equal(line.body.ordNo, 10001);
    assert.equal(line.body.lineNo, 1);
    const notes = await g.http.get('/cust-note?limit=5');
    assert.equal(notes.status, 200, notes.text);
    assert.equal(notes.body.length, 5);
    const balances = await g.http.get('/v-cust-balance?order=custId&limit=2');
    assert.equal(balances.status, 200, balances.text);
    assert.deepEqual(Object.keys(balances.body[0]).sort(), ['custId', 'custName', 'openAmt', 'orderCount', 'region']);
    const writeToView = await g.http.post('/v-cust-balance').send({ custId: 1 });
    assert.equal(writeToView.status, 405, 'a view has no write operations');
  });
});

describe('the generated scopes behind authentication', () => {
  let g: GeneratedGateway;
  before(async () => {
    g = await generateAndServe({
      url: undefined,
      sourceName: 'erp',
      seed: (db) => seedErp(db),
      init: { include: ['CUST_MSTR', 'ITEM_MSTR'] },
      extra: {
        auth: hmacAuth(),
        policies: {
          rules: [{ name: 'any-table', resource: '*', operations: ['read', 'write'], scopes: ['cust-mstr:read', 'cust-mstr:write', 'item-mstr:read'] }],
        },
      },
    });
  });
  after(async () => g?.close());
  const token = (scope: string) => sign(new TextEncoder().encode(SECRET), 'HS256', { claims: { scope } });

  it('when a token holds <resource>:read, then it may read that resource but not write it or read another', async () => {
    const reader = `Bearer ${await token('cust-mstr:read')}`;
    assert.equal((await g.http.get('/cust-mstr/1').set('Authorization', reader)).status, 200);
    const write = await g.http.post('/cust-mstr').set('Authorization', reader).send({ custName: 'X', region: 'EMEA' });
    assert.equal(write.status, 403, write.text);
    assert.equal(write.body.code, 'insufficient_scope');
    assert.match(write.text, /cust-mstr:write/);
    assert.equal((await g.http.get('/item-mstr').set('Authorization', reader)).status, 403);
    assert.equal((await g.http.get('/cust-mstr/1')).status, 401, 'no token, no data');
  });

  it('when a token holds <resource>:write, then the generated write operations accept it', async () => {
    const writer = `Bearer ${await token('cust-mstr:write')}`;
    const created = await g.http.post('/cust-mstr').set('Authorization', writer).send({ custName: 'Ada', region: 'EMEA' });
    assert.equal(created.status, 201, created.text);
  });
});

describe('the shipped ERP contract', () => {
  it('when openapi/erp.yaml is linted with Redocly, then it has no errors', async () => {
    const result = await redoclyLint(ERP_SPEC);
    assert.equal(result.errors, 0, describeProblems(result));
  });
});
