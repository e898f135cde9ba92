// JWKS key sources against a real loopback HTTP server and real files: caching, rotation, fetch caps, jku / x5u.
import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Express } from 'express';
import request from 'supertest';
import { createTokenVerifier } from '../src/auth/token-verifier.js';
import { ConfigError } from '../src/errors/app-error.js';
import { AUDIENCE, ISSUER, authApp, authConfig, countingServer, sendJson, sign, verifiedCount, type CountingServer } from './support/auth-app.js';

interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly jwk: Record<string, unknown>;
}

// RSA key generation is slow on small machines: three pairs, shared by the tests (ours, attacker, next).
const PAIRS = [0, 1, 2].map(() => generateKeyPairSync('rsa', { modulusLength: 2048 }));
const OURS = 0;
const ATTACKER = 1;
const NEXT = 2;

function rsaKey(kid: string, pair = OURS): SigningKey {
  const { publicKey, privateKey } = PAIRS[pair] as (typeof PAIRS)[number];
  return { kid, privateKey, jwk: { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' } };
}

function jwksIssuer(jwks: Record<string, unknown>): Record<string, unknown> {
  return { issuers: [{ issuer: ISSUER, audience: AUDIENCE, keys: [{ algorithms: ['RS256'], jwks }] }] };
}

async function status(app: Express, token: string): Promise<{ status: number; code?: string; challenge?: string }> {
  const res = await request(app).get('/whoami').set('Authorization', `Bearer ${token}`);
  return { status: res.status, code: res.body?.code, challenge: res.headers['www-authenticate'] };
}

const signedBy = (key: SigningKey, header: Record<string, unknown> = {}): Promise<string> =>
  sign(key.privateKey, 'RS256', { header: { kid: key.kid, ...header } });

describe('JWKS from a URL', () => {
  const servers: CountingServer[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
  });

  async function jwksServer(keys: () => SigningKey[], fail = false): Promise<CountingServer> {
    const server = await countingServer((_req, res) => (fail ? sendJson(res, 500, { error: 'down' }) : sendJson(res, 200, { keys: keys().map((k) => k.jwk) })));
    servers.push(server);
    return server;
  }

  it('when tokens use a kid the JWKS publishes, then they are accepted and the JWKS is fetched once', async () => {
    const key = rsaKey('k1');
    const server = await jwksServer(() => [key]);
    const { app } = authApp(jwksIssuer({ url: `${server.url}/jwks.json` }));
    for (let i = 0; i < 5; i += 1) assert.equal((await status(app, await signedBy(key))).status, 200);
    assert.equal(server.count(), 1);
  });

  it('when a token names an unknown kid, then 401 invalid_token', async () => {
    const key = rsaKey('k1');
    const server = await jwksServer(() => [key]);
    const { app } = authApp(jwksIssuer({ url: `${server.url}/jwks.json` }));
    const stranger = rsaKey('unknown-kid', ATTACKER);
    const res = await status(app, await signedBy(stranger));
    assert.equal(res.status, 401);
    assert.equal(res.code, 'invalid_token');
    assert.equal(res.challenge, 'Bearer realm="gatehouse", error="invalid_token", error_description="no key is known for the token kid"');
  });

  it('when a flood of 200 tokens with random kids arrives, then every one is refused and the JWKS fetches stay within maxFetchesPerMinute', async () => {
    const key = rsaKey('k1');
    const server = await jwksServer(() => [key]);
    const { app } = authApp(jwksIssuer({ url: `${server.url}/jwks.json`, maxFetchesPerMinute: 3 }));
    assert.equal((await status(app, await signedBy(key))).status, 200);
    const attacker = rsaKey('x', ATTACKER);
    const results = await Promise.all(
      Array.from({ length: 200 }, async () => status(app, await signedBy({ ...attacker, kid: randomUUID() }))),
    );
    assert.ok(results.every((r) => r.status === 401 && r.code === 'invalid_token'));
    assert.ok(server.count() <= 3, `the JWKS was fetched ${server.count()} times`);
  });

  it('when the JWKS endpoint fails, then a flood of tokens causes at most maxFetchesPerMinute fetches and answers 503', async () => {
    const key = rsaKey('k1');
    const server = await jwksServer(() => [key], true);
    const { app } = authApp(jwksIssuer({ url: `${server.url}/jwks.json`, maxFetchesPerMinute: 2 }));
    const results = [];
    for (let i = 0; i < 30; i += 1) results.push(await status(app, await signedBy({ ...key, kid: randomUUID() })));
    assert.ok(results.every((r) => r.status === 503 && r.code === 'auth_keys_unavailable'), JSON.stringify(results[0]));
    assert.equal(server.count(), 2);
  });

  it('when the issuer rotates in a new key, then tokens with its kid are accepted once the cooldown has passed', async () => {
    const old = rsaKey('2024');
    const next = rsaKey('2025', NEXT);
    let published = [old];
    const server = await jwksServer(() => published);
    const { app } = authApp(jwksIssuer({ url: `${server.url}/jwks.json`, maxFetchesPerMinute: 60 }));
    assert.equal((await status(app, await signedBy(old))).status, 200);
    published = [old, next];
    await sleep(1100); // 60 fetches a minute: one second between fetches for unknown kids
    assert.equal((await status(app, await signedBy(next))).status, 200);
    assert.equal(server.count(), 2);
  });

  it('when a token carries a jku header pointing at an attacker JWKS, then it is ignored: nothing is fetched from it and the token is refused', async () => {
    const ours = rsaKey('k1');
    const attacker = rsaKey('evil', ATTACKER);
    const ourServer = await jwksServer(() => [ours]);
    const attackerServer = await jwksServer(() => [attacker]);
    const { app } = authApp(jwksIssuer({ url: `${ourServer.url}/jwks.json` }));
    const res = await status(app, await signedBy(attacker, { jku: `${attackerServer.url}/jwks.json` }));
    assert.equal(res.status, 401);
    assert.equal(res.code, 'invalid_token');
    assert.equal(attackerServer.count(), 0);
  });

  it('when a token carries an x5u header pointing at an attacker URL, then nothing is fetched from it and the token is refused', async () => {
    const ours = rsaKey('k1');
    const attacker = rsaKey('evil', ATTACKER);
    const ourServer = await jwksServer(() => [ours]);
    const attackerServer = await jwksServer(() => [attacker]);
    const { app } = authApp(jwksIssuer({ url: `${ourServer.url}/jwks.json` }));
    const res = await status(app, await signedBy(attacker, { x5u: `${attackerServer.url}/cert.pem` }));
    assert.equal(res.status, 401);
    assert.equal(attackerServer.count(), 0);
  });

  it('when the JWKS endpoint goes down after the cache TTL, then tokens with known kids are still accepted with the last good keys', async () => {
    const key = rsaKey('k1');
    let down = false;
    const server = await countingServer((_req, res) => (down ? sendJson(res, 503, {}) : sendJson(res, 200, { keys: [key.jwk] })));
    servers.push(server);
    const { app } = authApp(jwksIssuer({ url: `${server.url}/jwks.json`, cacheTtlSeconds: 10, maxFetchesPerMinute: 6 }));
    assert.equal((await status(app, await signedBy(key))).status, 200);
    down = true;
    await sleep(10_200); // the smallest TTL the configuration allows
    for (let i = 0; i < 5; i += 1) assert.equal((await status(app, await signedBy(key))).status, 200);
    assert.ok(server.count() >= 2 && server.count() <= 6, `fetched ${server.count()} times`);
  });

  it('when the JWKS URL is plain http to a non-loopback host, then the verifier refuses to start', () => {
    const config = authConfig(jwksIssuer({ url: 'http://idp.example.com/jwks.json' }));
    assert.throws(() => createTokenVerifier(config), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /auth\.issuers\[0\]\.keys\[0\]\.jwks\.url: must use https/);
      return true;
    });
  });
});

describe('JWKS from a file', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-jwks-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('when the JWKS file publishes the token kid, then 200; when it does not, then 401', async () => {
    const key = rsaKey('file-1');
    writeFileSync(path.join(dir, 'a.json'), JSON.stringify({ keys: [key.jwk] }));
    // A relative path is resolved against the configuration's directory.
    const { app } = authApp(jwksIssuer({ file: 'a.json' }), {}, dir);
    assert.equal((await status(app, await signedBy(key))).status, 200);
    const res = await status(app, await signedBy(rsaKey('other', ATTACKER)));
    assert.equal(res.status, 401);
    assert.equal(res.code, 'invalid_token');
  });

  it('when a new key is written to the file, then a token with its kid is accepted without a restart', async () => {
    const first = rsaKey('f1');
    const second = rsaKey('f2', NEXT);
    const file = path.join(dir, 'b.json');
    writeFileSync(file, JSON.stringify({ keys: [first.jwk] }));
    const { app, events } = authApp(jwksIssuer({ file }));
    assert.equal((await status(app, await signedBy(first))).status, 200);
    writeFileSync(file, JSON.stringify({ keys: [first.jwk, second.jwk] }));
    assert.equal((await status(app, await signedBy(second))).status, 200);
    assert.equal(verifiedCount(events, false), 2);
  });

  it('when random kids flood a file JWKS, then the file is re-read at most maxFetchesPerMinute times', async () => {
    const key = rsaKey('f1');
    const file = path.join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ keys: [key.jwk] }));
    const { app, events } = authApp(jwksIssuer({ file, maxFetchesPerMinute: 2 }));
    for (let i = 0; i < 20; i += 1) assert.equal((await status(app, await signedBy({ ...key, kid: randomUUID() }))).status, 401);
    const reads = events.filter((e) => e.type === 'jwks_fetch');
    assert.equal(reads.filter((e) => e.type === 'jwks_fetch' && e.outcome === 'ok').length, 2);
    assert.equal(reads.filter((e) => e.type === 'jwks_fetch' && e.outcome === 'limited').length, 18);
  });

  it('when the JWKS file holds private key material, then the verifier refuses to start', () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const file = path.join(dir, 'private.json');
    writeFileSync(file, JSON.stringify({ keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'p' }] }));
    assert.throws(() => createTokenVerifier(authConfig(jwksIssuer({ file }))), /holds private or symmetric key material/);
  });

  it('when the JWKS file is missing, then the verifier refuses to start and names the file', () => {
    assert.throws(() => createTokenVerifier(authConfig(jwksIssuer({ file: path.join(dir, 'nope.json') }))), /nope\.json cannot be read \(ENOENT\)/);
  });
});
