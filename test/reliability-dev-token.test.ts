// A documented way to grant every scope in development: `gatehouse token --scope '*'` mints a token holding every
// scope the contract and the policies name, which the gateway accepts everywhere those rules allow.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';
import { demoAuth } from '../src/auth/demo-auth.js';
import { seedErp } from '../src/demo/erp-schema.js';
import { gatehouse } from './support/gatehouse-cli.js';
import { startGateway, testConfig, type TestGateway } from './support/gateway.js';
import { ERP_SPEC } from './support/project.js';

const policies = {
  rules: [
    { name: 'erp-read', scopes: ['customers:read', 'items:read', 'orders:read'], resource: '*', operations: ['read'] },
    { name: 'items-write', scopes: ['items:write'], resource: 'items', operations: ['write'] },
  ],
};

describe('a development token with every scope', () => {
  let gw: TestGateway;
  let dir: string;
  let configFile: string;
  const auth = { ...demoAuth(randomBytes(32).toString('base64url')), disabled: false };

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-dev-token-'));
    configFile = path.join(dir, 'gatehouse.yaml');
    await writeFile(
      configFile,
      YAML.stringify({ spec: ERP_SPEC, sources: { erp: { client: 'pglite', connection: 'memory://' } }, auth, policies }),
    );
    gw = await startGateway({ config: testConfig({ source: { client: 'pglite' }, auth, extra: { policies, rateLimit: { enabled: false } } }), seed: (db) => seedErp(db) });
  });
  after(async () => {
    await gw?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("when minted with --scope '*', then the token holds every scope the contract and the policies name and is accepted", async () => {
    const minted = await gatehouse(['token', '--config', configFile, '--sub', 'dev', '--scope', '*']);
    assert.equal(minted.code, 0, minted.stderr);
    const token = minted.stdout.trim();
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { scope: string };
    const scopes = claims.scope.split(' ');
    for (const s of ['customers:read', 'customers:write', 'items:read', 'items:write', 'orders:read', 'order-lines:write', 'audit:read']) {
      assert.ok(scopes.includes(s), `${s} in ${claims.scope}`);
    }
    assert.ok(!scopes.includes('*'));
    assert.match(minted.stderr, /granting every scope/);
    const bearer = `Bearer ${token}`;
    for (const url of ['/customers?limit=1', '/items?limit=1', '/orders?limit=1']) {
      assert.equal((await gw.http.get(url).set('Authorization', bearer)).status, 200, url);
    }
    const patched = await gw.http.patch('/items/FAS-00001').set('Authorization', bearer).send({ description: 'renamed in development' });
    assert.equal(patched.status, 204, patched.text);
    // The policies still decide: no rule grants writes to customers.
    assert.equal((await gw.http.post('/customers').set('Authorization', bearer).send({ name: 'x', region: 'EMEA' })).status, 403);
  });
});
