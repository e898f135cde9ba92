// The auditor API has its own rate-limit budget: data requests do not spend it, and auditors cannot spend the data budget.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { SignJWT } from 'jose';
import { freshDatabase, testPostgres } from './support/pg-env.js';
import { startGateway, testConfig, type TestGateway } from './support/gateway.js';
import { seedErp } from '../src/demo/erp-schema.js';

const pg = testPostgres();
const skip = 'skip' in pg ? pg.skip : false;
const ISSUER = 'https://idp.ratelimit-test.example';
const SECRET = 'ratelimit-test-secret-0123456789-abcdef';

function token(subject: string, scopes: string[]): Promise<string> {
  return new SignJWT({ scope: scopes.join(' ') })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience('gatehouse')
    .setSubject(subject)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(SECRET));
}

describe('rate limits with the audit log on', { skip }, () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startGateway({
      config: testConfig({
        source: { client: 'pg', url: await freshDatabase('rl_audit_data') },
        store: await freshDatabase('rl_audit_store'),
        auth: { issuers: [{ issuer: ISSUER, audience: 'gatehouse', keys: [{ algorithms: ['HS256'], secret: SECRET }] }] },
        extra: {
          policies: { rules: [{ name: 'read', scopes: ['customers:read'], resource: 'customers' }] },
          rateLimit: { enabled: true, principal: { audit: { limit: 2, windowMs: 60_000 }, read: { limit: 50, windowMs: 60_000 } } },
        },
      }),
      seed: seedErp,
    });
  });
  after(async () => gw?.close());

  it('when a principal makes more data reads than the audit budget, then they are not limited by it', async () => {
    const bearer = `Bearer ${await token('alice', ['customers:read', 'audit:read'])}`;
    for (let i = 1; i <= 5; i++) {
      const res = await gw.http.get(`/customers/${i}`).set('Authorization', bearer);
      assert.equal(res.status, 200, res.text);
      assert.match(String(res.headers['ratelimit-policy']), /principal-read/);
    }
  });

  it('when an auditor exceeds the audit budget, then 429 on the auditor API while data reads go on', async () => {
    const bearer = `Bearer ${await token('bob', ['customers:read', 'audit:read'])}`;
    for (let i = 0; i < 2; i++) assert.equal((await gw.http.get('/_gatehouse/audit/events?limit=1').set('Authorization', bearer)).status, 200);
    const limited = await gw.http.get('/_gatehouse/audit/events?limit=1').set('Authorization', bearer);
    assert.equal(limited.status, 429);
    assert.equal(limited.body.code, 'rate_limited');
    assert.equal((await gw.http.get('/customers/1').set('Authorization', bearer)).status, 200);
  });
});
