// A read-modify-write by PUT never overwrites what the caller could not see: a column masked for the caller, or one it
// may write but not read, keeps its value when the body leaves it out; columns the caller sees are replaced as before.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { demoAuth } from '../src/auth/demo-auth.js';
import { mintToken } from '../src/auth/mint-token.js';
import { seedErp } from '../src/demo/erp-schema.js';
import { sql, startGateway, testConfig, type TestGateway } from './support/gateway.js';

const SCOPES = ['customers:read', 'customers:write'];

const policies = {
  rules: [
    {
      // A clerk may set email addresses but not read them.
      name: 'clerk-email-write-only',
      clients: ['clerk-app'],
      resource: 'customers',
      operations: ['read', 'write'],
      columns: {
        read: ['id', 'name', 'region', 'creditLimit', 'status', 'createdAt', 'street'],
        write: ['name', 'email', 'region', 'creditLimit', 'status', 'street'],
      },
    },
    {
      // As in the demo: every column readable and writable, credit limits masked.
      name: 'sales-masked-credit',
      scopes: SCOPES,
      resource: 'customers',
      operations: ['read', 'write'],
      mask: { creditLimit: 'partial' },
    },
  ],
};

describe('PUT by a caller who cannot see every column', () => {
  let gw: TestGateway;
  let id: number;

  const token = (clientId: string): Promise<string> => mintToken(gw.config.auth, { subject: 'tester', clientId, scopes: SCOPES });
  const row = async (): Promise<Record<string, unknown>> =>
    (await sql(gw.db, 'select "EMAIL_ADDR" as email, "Credit Limit"::text as credit, "Straße" as street from "CUST_MSTR" where "CUST_ID" = ?', [id]))[0]!;

  before(async () => {
    gw = await startGateway({
      config: testConfig({
        source: { client: 'pglite' },
        auth: { ...demoAuth(randomBytes(32).toString('base64url')), disabled: false },
        extra: { policies, rateLimit: { enabled: false } },
      }),
      seed: (db) => seedErp(db),
    });
    id = Number((await sql(gw.db, `select "CUST_ID" as id from "CUST_MSTR" order by 1 limit 1`))[0]!.id);
  });
  after(() => gw?.close());

  it('when the credit limit is masked for the caller and the PUT body leaves it out, then it keeps its value; seen columns left out are reset', async () => {
    await sql(gw.db, `update "CUST_MSTR" set "Credit Limit" = 1234.50, "EMAIL_ADDR" = 'kept@example.com', "Straße" = 'Hauptstraße 1' where "CUST_ID" = ?`, [id]);
    const auth = `Bearer ${await token('sales-app')}`;
    const seen = await gw.http.get(`/customers/${id}`).set('Authorization', auth);
    assert.equal(seen.status, 200);
    assert.notEqual(seen.body.creditLimit, '1234.50', 'the caller sees the credit limit masked');
    // Read, change the name, send back what the caller may send (the masked value would not pass the contract).
    const { creditLimit: _masked, id: _id, createdAt: _created, street: _street, ...body } = seen.body as Record<string, unknown>;
    const put = await gw.http.put(`/customers/${id}`).set('Authorization', auth).send({ ...body, name: 'Renamed by PUT' });
    assert.equal(put.status, 204, put.text);
    const after = await row();
    assert.equal(after.credit, '1234.50', 'the masked credit limit is kept');
    assert.equal(after.email, 'kept@example.com', 'the email was sent back and is unchanged');
    assert.equal(after.street, null, 'a column the caller sees and left out is reset, as PUT documents');
  });

  it('when the caller may write but not read the email and the PUT body leaves it out, then it keeps its value', async () => {
    await sql(gw.db, `update "CUST_MSTR" set "EMAIL_ADDR" = 'hidden@example.com', "Credit Limit" = 99.00 where "CUST_ID" = ?`, [id]);
    const auth = `Bearer ${await token('clerk-app')}`;
    const seen = await gw.http.get(`/customers/${id}`).set('Authorization', auth);
    assert.equal(seen.status, 200);
    assert.equal('email' in (seen.body as object), false, 'the clerk does not see the email');
    const { id: _id, createdAt: _created, ...body } = seen.body as Record<string, unknown>;
    const put = await gw.http.put(`/customers/${id}`).set('Authorization', auth).send({ ...body, name: 'Renamed by the clerk' });
    assert.equal(put.status, 204, put.text);
    const after = await row();
    assert.equal(after.email, 'hidden@example.com', 'the email the clerk could not read is kept');
    assert.equal(after.credit, '99.00');
    // Setting it explicitly still works: the clerk may write it.
    const set = await gw.http.put(`/customers/${id}`).set('Authorization', auth).send({ ...body, email: 'new@example.com' });
    assert.equal(set.status, 204, set.text);
    assert.equal((await row()).email, 'new@example.com');
  });
});
