// Token verification through the authenticate middleware: pinned algorithms, claims, key types, principal, cache.
import assert from 'node:assert/strict';
import { createHmac, createSecretKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, it } from 'node:test';
import request from 'supertest';
import type { Express } from 'express';
import { createTokenVerifier } from '../src/auth/token-verifier.js';
import { ConfigError } from '../src/errors/app-error.js';
import { AUDIENCE, ISSUER, SECRET, authApp, authConfig, hmacAuth, rawToken, sign, verifiedCount } from './support/auth-app.js';

const hmac = createSecretKey(Buffer.from(SECRET));
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const ed = generateKeyPairSync('ed25519');
const pem = (key: KeyObject): string => key.export({ type: 'spki', format: 'pem' }) as string;

function challenge(description: string): string {
  return `Bearer realm="gatehouse", error="invalid_token", error_description="${description}"`;
}

async function expectRejected(app: Express, token: string, code: string, description: string): Promise<void> {
  const res = await request(app).get('/whoami').set('Authorization', `Bearer ${token}`);
  assert.equal(res.status, 401, JSON.stringify(res.body));
  assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
  assert.equal(res.body.code, code);
  assert.equal(res.headers['www-authenticate'], challenge(description));
}

async function whoami(app: Express, token: string): Promise<Record<string, unknown>> {
  const res = await request(app).get('/whoami').set('Authorization', `Bearer ${token}`);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as Record<string, unknown>;
}

describe('HMAC issuer', () => {
  const { app } = authApp(hmacAuth());

  it('when a valid HS256 token is presented, then 200 and the principal carries its subject, scopes, client id and jti', async () => {
    const token = await sign(hmac, 'HS256', { claims: { scope: 'customers:read orders:read', client_id: 'erp-sync', jti: 't-1' } });
    const body = await whoami(app, token);
    assert.equal(body.subject, 'alice');
    assert.deepEqual(body.scopes, ['customers:read', 'orders:read']);
    assert.equal(body.clientId, 'erp-sync');
    assert.equal(body.tokenId, 't-1');
  });

  it('when a token has alg none and no signature, then 401 invalid_token', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = rawToken({ alg: 'none', typ: 'JWT' }, { iss: ISSUER, aud: AUDIENCE, sub: 'mallory', exp: now + 600 });
    await expectRejected(app, token, 'invalid_token', 'unsigned tokens are not accepted');
  });

  it('when a token says alg NONE in capitals, then 401 invalid_token', async () => {
    const token = rawToken({ alg: 'NONE' }, { iss: ISSUER, aud: AUDIENCE, sub: 'mallory', exp: 9_999_999_999 });
    await expectRejected(app, token, 'invalid_token', 'unsigned tokens are not accepted');
  });

  it('when the issuer is not the configured one, then 401 invalid_token', async () => {
    const token = await sign(hmac, 'HS256', { claims: { iss: 'https://evil.example' } });
    await expectRejected(app, token, 'invalid_token', 'the token issuer is not trusted');
  });

  it('when the audience is another service, then 401 invalid_token', async () => {
    const token = await sign(hmac, 'HS256', { claims: { aud: 'billing-api' } });
    await expectRejected(app, token, 'invalid_token', 'the token is not meant for this audience');
  });

  it('when the token has no audience at all, then 401 invalid_token', async () => {
    const token = await sign(hmac, 'HS256', { omit: ['aud'] });
    await expectRejected(app, token, 'invalid_token', 'the token has no aud claim');
  });

  it('when the token has no exp, then 401 invalid_token (a token that never expires is refused)', async () => {
    const token = await sign(hmac, 'HS256', { expiresIn: null });
    await expectRejected(app, token, 'invalid_token', 'the token has no exp claim');
  });

  it('when the token has no sub, then 401 invalid_token', async () => {
    const token = await sign(hmac, 'HS256', { omit: ['sub'] });
    await expectRejected(app, token, 'invalid_token', 'the token has no sub claim');
  });

  it('when the token expired beyond the 30 s clock tolerance, then 401 token_expired', async () => {
    const token = await sign(hmac, 'HS256', { expiresIn: -31 });
    await expectRejected(app, token, 'token_expired', 'the token has expired');
  });

  it('when the token expired but just within the clock tolerance, then it is accepted', async () => {
    const token = await sign(hmac, 'HS256', { expiresIn: -20 });
    assert.equal((await whoami(app, token)).subject, 'alice');
  });

  it('when nbf is in the future beyond the tolerance, then 401 invalid_token', async () => {
    const token = await sign(hmac, 'HS256', { claims: { nbf: Math.floor(Date.now() / 1000) + 120 } });
    await expectRejected(app, token, 'invalid_token', 'the token is not valid yet');
  });

  it('when the signature was made with another secret, then 401 invalid_token', async () => {
    const token = await sign(createSecretKey(Buffer.from('another-secret-0123456789-abcdefghijkl')), 'HS256');
    await expectRejected(app, token, 'invalid_token', 'the token signature is invalid');
  });

  it('when the payload is altered after signing, then 401 invalid_token', async () => {
    const token = await sign(hmac, 'HS256', { claims: { scope: 'customers:read' } });
    const [h, , s] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ iss: ISSUER, aud: AUDIENCE, sub: 'alice', exp: 9_999_999_999, scope: 'admin' })).toString('base64url');
    await expectRejected(app, `${h}.${forged}.${s}`, 'invalid_token', 'the token signature is invalid');
  });

  it('when the token uses HS512 but the key is pinned to HS256, then 401 invalid_token', async () => {
    const token = await sign(createSecretKey(Buffer.from(SECRET.repeat(2))), 'HS512');
    await expectRejected(app, token, 'invalid_token', 'no configured key accepts this token (alg or kid)');
  });

  it('when the token is not a JWT at all, then 401 invalid_token', async () => {
    await expectRejected(app, 'abc.def.ghi', 'invalid_token', 'the token is not a well-formed JWT');
  });

  it('when the token carries an unknown crit header, then 401 invalid_token', async () => {
    const header = { alg: 'HS256', crit: ['x-gatehouse-bypass'], 'x-gatehouse-bypass': true };
    const unsigned = rawToken(header, { iss: ISSUER, aud: AUDIENCE, sub: 'alice', exp: Math.floor(Date.now() / 1000) + 600 }).slice(0, -1);
    const token = `${unsigned}.${createHmac('sha256', SECRET).update(unsigned).digest('base64url')}`;
    await expectRejected(app, token, 'invalid_token', 'the token is invalid');
  });
});

describe('RSA issuer: key confusion and embedded keys', () => {
  const { app } = authApp({ issuers: [{ issuer: ISSUER, audience: AUDIENCE, keys: [{ algorithms: ['RS256'], publicKey: pem(rsa.publicKey) }] }] });

  it('when a valid RS256 token is presented, then 200', async () => {
    assert.equal((await whoami(app, await sign(rsa.privateKey, 'RS256'))).subject, 'alice');
  });

  it('when an HS256 token is signed with the RSA public key as the HMAC secret, then 401 invalid_token', async () => {
    const confused = createSecretKey(Buffer.from(pem(rsa.publicKey)));
    const token = await sign(confused, 'HS256', { claims: { sub: 'mallory', scope: 'admin' } });
    await expectRejected(app, token, 'invalid_token', 'no configured key accepts this token (alg or kid)');
  });

  it('when the token embeds its own signing key in a jwk header, then 401 invalid_token (embedded keys are never trusted)', async () => {
    const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = attacker.publicKey.export({ format: 'jwk' });
    const token = await sign(attacker.privateKey, 'RS256', { header: { jwk } as never });
    await expectRejected(app, token, 'invalid_token', 'the token signature is invalid');
  });

  it('when the configuration pins HS256 to a public key, then the verifier refuses to start', () => {
    const config = authConfig({ issuers: [{ issuer: ISSUER, audience: AUDIENCE, keys: [{ algorithms: ['RS256', 'HS256'], publicKey: pem(rsa.publicKey) }] }] });
    assert.throws(() => createTokenVerifier(config), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /auth\.issuers\[0\]\.keys\[0\]\.algorithms: HS256 does not fit this rsa key/);
      return true;
    });
  });

  it('when the configuration lists alg none, then loading the configuration fails', () => {
    assert.throws(
      () => authConfig({ issuers: [{ issuer: ISSUER, audience: AUDIENCE, keys: [{ algorithms: ['none'], secret: SECRET }] }] }),
      /auth\.issuers\.0\.keys\.0\.algorithms\.0: must be one of HS256/,
    );
  });

  it('when a private key is configured as publicKey, then the verifier refuses to start', () => {
    const privatePem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const config = authConfig({ issuers: [{ issuer: ISSUER, audience: AUDIENCE, keys: [{ algorithms: ['RS256'], publicKey: privatePem }] }] });
    assert.throws(() => createTokenVerifier(config), /holds a private key/);
  });
});

describe('EC and Ed25519 keys', () => {
  const { app } = authApp({
    issuers: [
      {
        issuer: ISSUER,
        audience: AUDIENCE,
        keys: [
          { kid: 'ec-1', algorithms: ['ES256'], publicKey: pem(ec.publicKey) },
          { kid: 'ed-1', algorithms: ['EdDSA', 'Ed25519'], publicKey: pem(ed.publicKey) },
        ],
      },
    ],
  });

  it('when an ES256 token is signed with the configured P-256 key, then 200', async () => {
    const token = await sign(ec.privateKey, 'ES256', { header: { kid: 'ec-1' } });
    assert.equal((await whoami(app, token)).subject, 'alice');
  });

  it('when an EdDSA token is signed with the configured Ed25519 key, then 200', async () => {
    const token = await sign(ed.privateKey, 'EdDSA', { header: { kid: 'ed-1' } });
    assert.equal((await whoami(app, token)).subject, 'alice');
  });

  it('when an Ed25519 token is signed with another Ed25519 key, then 401 invalid_token', async () => {
    const other = generateKeyPairSync('ed25519');
    const token = await sign(other.privateKey, 'Ed25519', { header: { kid: 'ed-1' } });
    await expectRejected(app, token, 'invalid_token', 'the token signature is invalid');
  });

  it('when the token names a kid no key has, then 401 invalid_token', async () => {
    const token = await sign(ec.privateKey, 'ES256', { header: { kid: 'ec-404' } });
    await expectRejected(app, token, 'invalid_token', 'no configured key accepts this token (alg or kid)');
  });

  it('when a P-384 key is pinned to ES256, then the verifier refuses to start', () => {
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' });
    const config = authConfig({ issuers: [{ issuer: ISSUER, audience: AUDIENCE, keys: [{ algorithms: ['ES256'], publicKey: pem(p384.publicKey) }] }] });
    assert.throws(() => createTokenVerifier(config), /ES256 does not fit this ec \(secp384r1\) key/);
  });
});

describe('typ, scopes, roles and client id', () => {
  it('when at+jwt is required and the token has no typ, then 401; with typ at+jwt, then 200', async () => {
    const { app } = authApp(hmacAuth({ requiredTyp: 'at+jwt' }));
    await expectRejected(app, await sign(hmac, 'HS256'), 'invalid_token', 'the token typ header is not accepted');
    await expectRejected(app, await sign(hmac, 'HS256', { header: { typ: 'JWT' } }), 'invalid_token', 'the token typ header is not accepted');
    assert.equal((await whoami(app, await sign(hmac, 'HS256', { header: { typ: 'at+jwt' } }))).subject, 'alice');
  });

  it('when scopes come as an scp array, then they are the principal scopes', async () => {
    const { app } = authApp(hmacAuth());
    const body = await whoami(app, await sign(hmac, 'HS256', { claims: { scp: ['items:read', 'orders:write'] } }));
    assert.deepEqual(body.scopes, ['items:read', 'orders:write']);
  });

  it('when scopes come as a space-separated scp string (Entra ID), then they are split', async () => {
    const { app } = authApp(hmacAuth());
    const body = await whoami(app, await sign(hmac, 'HS256', { claims: { scp: 'items:read  orders:write' } }));
    assert.deepEqual(body.scopes, ['items:read', 'orders:write']);
  });

  it('when the token has no scope claim, then the principal has no scopes', async () => {
    const { app } = authApp(hmacAuth());
    assert.deepEqual((await whoami(app, await sign(hmac, 'HS256'))).scopes, []);
  });

  it('when roles sit at the configured claim path, then they are the principal roles', async () => {
    const { app } = authApp(hmacAuth({ rolesClaim: 'realm_access.roles' }));
    const body = await whoami(app, await sign(hmac, 'HS256', { claims: { realm_access: { roles: ['auditor', 'dba'] }, roles: ['ignored'] } }));
    assert.deepEqual(body.roles, ['auditor', 'dba']);
  });

  it('when the roles claim name itself contains dots, then it is matched whole', async () => {
    const { app } = authApp(hmacAuth({}, { rolesClaim: 'https://gatehouse.example/roles' }));
    const body = await whoami(app, await sign(hmac, 'HS256', { claims: { 'https://gatehouse.example/roles': ['planner'] } }));
    assert.deepEqual(body.roles, ['planner']);
  });

  it('when there is no client_id, then azp is the client id', async () => {
    const { app } = authApp(hmacAuth());
    assert.equal((await whoami(app, await sign(hmac, 'HS256', { claims: { azp: 'cloud-portal' } }))).clientId, 'cloud-portal');
  });

  it('when the principal is built, then every verified claim is available to row rules', async () => {
    const { app } = authApp(hmacAuth());
    const body = await whoami(app, await sign(hmac, 'HS256', { claims: { region: 'EMEA' } }));
    assert.equal((body.claims as Record<string, unknown>).region, 'EMEA');
  });
});

describe('verified-token cache', () => {
  it('when the same token is sent twice, then the signature is verified once and the second answer comes from the cache', async () => {
    const { app, events } = authApp(hmacAuth());
    const token = await sign(hmac, 'HS256');
    await whoami(app, token);
    await whoami(app, token);
    assert.equal(verifiedCount(events, false), 1);
    assert.equal(verifiedCount(events, true), 1);
  });

  it('when a cached token passes its exp plus the tolerance, then it is refused with token_expired', async () => {
    let clock = Date.now();
    const { app, events } = authApp(hmacAuth(), { now: () => clock });
    const token = await sign(hmac, 'HS256', { expiresIn: 60 });
    await whoami(app, token);
    clock += 85_000; // past exp, within the 30 s tolerance: still served from the cache
    await whoami(app, token);
    assert.equal(verifiedCount(events, true), 1);
    clock += 10_000; // 95 s: past exp + 30 s
    await expectRejected(app, token, 'token_expired', 'the token has expired');
    assert.equal(verifiedCount(events, false), 1);
  });

  it('when a cached verification is older than cache.maxTtlSeconds, then the token is verified again', async () => {
    let clock = Date.now();
    const { app, events } = authApp(hmacAuth({ cache: { maxTtlSeconds: 10 } }), { now: () => clock });
    const token = await sign(hmac, 'HS256', { expiresIn: 3600 });
    await whoami(app, token);
    clock += 11_000;
    await whoami(app, token);
    assert.equal(verifiedCount(events, false), 2);
  });

  it('when the cache is turned off, then every request verifies the signature', async () => {
    const { app, events } = authApp(hmacAuth({ cache: { maxEntries: 0 } }));
    const token = await sign(hmac, 'HS256');
    await whoami(app, token);
    await whoami(app, token);
    assert.equal(verifiedCount(events, false), 2);
  });

  it('when a token is rejected, then it is not cached and is rejected again on retry', async () => {
    const { app, events } = authApp(hmacAuth());
    const token = await sign(hmac, 'HS256', { claims: { aud: 'other' } });
    await expectRejected(app, token, 'invalid_token', 'the token is not meant for this audience');
    await expectRejected(app, token, 'invalid_token', 'the token is not meant for this audience');
    assert.equal(events.filter((e) => e.type === 'token_rejected').length, 2);
  });
});

describe('issuers', () => {
  it('when no issuer is configured and anonymous is off, then every token is refused', async () => {
    const { app } = authApp({});
    await expectRejected(app, await sign(hmac, 'HS256'), 'invalid_token', 'the token issuer is not trusted');
  });

  it('when two issuers are configured, then each token is checked only against its own issuer keys', async () => {
    const { app } = authApp({
      issuers: [
        { issuer: ISSUER, audience: AUDIENCE, keys: [{ algorithms: ['HS256'], secret: SECRET }] },
        { issuer: 'https://partner.example', audience: [AUDIENCE, 'other'], keys: [{ algorithms: ['EdDSA'], publicKey: pem(ed.publicKey) }] },
      ],
    });
    assert.equal((await whoami(app, await sign(ed.privateKey, 'EdDSA', { claims: { iss: 'https://partner.example' } }))).subject, 'alice');
    // The partner's key is not accepted for the first issuer, even with a valid signature.
    await expectRejected(app, await sign(ed.privateKey, 'EdDSA'), 'invalid_token', 'no configured key accepts this token (alg or kid)');
  });
});
