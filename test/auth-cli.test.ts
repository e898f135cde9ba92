// `gatehouse token` as a user runs it (a real child process), and the demo's auth section.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { DEMO_AUDIENCE, DEMO_ISSUER, demoAuth } from '../src/auth/demo-auth.js';
import { mintToken } from '../src/auth/mint-token.js';
import { createTokenVerifier } from '../src/auth/token-verifier.js';
import { UnauthenticatedError } from '../src/errors/app-error.js';
import { authConfig } from './support/auth-app.js';
import { projectRoot } from './support/project.js';

const SECRET = 'cli-secret-0123456789-abcdefghijklmnop';

function gatehouse(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join(projectRoot, 'src', 'cli', 'index.ts'), ...args],
      { cwd: projectRoot, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe('gatehouse token', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gatehouse-token-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const ed = generateKeyPairSync('ed25519');
  const configFile = path.join(dir, 'gatehouse.yaml');
  writeFileSync(path.join(dir, 'ed.pub.pem'), ed.publicKey.export({ type: 'spki', format: 'pem' }) as string);
  writeFileSync(path.join(dir, 'ed.key.pem'), ed.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
  writeFileSync(
    configFile,
    [
      'spec: openapi.yaml',
      'sources: { erp: { client: pglite, connection: "memory://" } }',
      'auth:',
      '  issuers:',
      '    - issuer: https://idp.cli.example',
      '      audience: gatehouse',
      '      keys:',
      '        - { kid: dev, algorithms: [HS256], secret: "${JWT_SECRET}" }',
      '        - { kid: ed-1, algorithms: [EdDSA], publicKey: "${file:ed.pub.pem}" }',
      '',
    ].join('\n'),
  );
  const verifier = createTokenVerifier(authConfig({
    issuers: [
      {
        issuer: 'https://idp.cli.example',
        audience: 'gatehouse',
        keys: [
          { kid: 'dev', algorithms: ['HS256'], secret: SECRET },
          { kid: 'ed-1', algorithms: ['EdDSA'], publicKey: ed.publicKey.export({ type: 'spki', format: 'pem' }) as string },
        ],
      },
    ],
  }));

  it('when run with the configured HMAC secret, then it prints only a token the gateway accepts, with the given subject, scopes, client id, claims and ttl', async () => {
    const run = await gatehouse(
      ['token', '--config', configFile, '--sub', 'alice', '--scope', 'customers:read orders:read', '--client-id', 'cli', '--ttl', '15m', '--claim', 'region=EMEA', '--claim', 'level=3'],
      { JWT_SECRET: SECRET },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    assert.match(run.stdout, /^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const token = run.stdout.trim();
    const principal = await verifier.verify(token);
    assert.equal(principal.subject, 'alice');
    assert.equal(principal.clientId, 'cli');
    assert.deepEqual([...principal.scopes], ['customers:read', 'orders:read']);
    assert.equal(principal.claims.region, 'EMEA');
    assert.equal(principal.claims.level, 3);
    const claims = decodeJwt(token);
    assert.equal((claims.exp as number) - (claims.iat as number), 900);
    assert.equal(decodeProtectedHeader(token).kid, 'dev');
  });

  it('when run with --key and an Ed25519 private key, then the token is EdDSA-signed and accepted', async () => {
    const run = await gatehouse(['token', '-c', configFile, '--sub', 'svc', '--key', path.join(dir, 'ed.key.pem'), '--kid', 'ed-1'], { JWT_SECRET: SECRET });
    assert.equal(run.code, 0, run.stderr);
    const token = run.stdout.trim();
    assert.equal(decodeProtectedHeader(token).alg, 'EdDSA');
    assert.equal((await verifier.verify(token)).subject, 'svc');
  });

  it('when a registered claim is passed with --claim, then it exits 2 and says which flag sets it', async () => {
    const run = await gatehouse(['token', '-c', configFile, '--sub', 'alice', '--claim', 'exp=99999999999'], { JWT_SECRET: SECRET });
    assert.equal(run.code, 2);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /claims exp are set from the configuration and options/);
  });

  it('when the ttl is not a duration, then it exits with a usage error and prints no token', async () => {
    const run = await gatehouse(['token', '-c', configFile, '--sub', 'alice', '--ttl', 'forever'], { JWT_SECRET: SECRET });
    assert.notEqual(run.code, 0);
    assert.equal(run.stdout, '');
    assert.match(run.stderr, /a duration is like 90s, 15m, 1h, 2d/);
  });
});

describe('demo authentication', () => {
  it('when the demo auth section is loaded with a random secret, then a token minted for it is accepted and an expired one is not', async () => {
    const auth = authConfig(demoAuth(randomBytes(32).toString('base64url')));
    const verifier = createTokenVerifier(auth);
    const token = await mintToken(auth, { subject: 'demo', scopes: ['customers:read'], ttlSeconds: 3600 });
    const principal = await verifier.verify(token);
    assert.equal(principal.subject, 'demo');
    assert.equal(principal.claims.iss, DEMO_ISSUER);
    assert.equal(principal.claims.aud, DEMO_AUDIENCE);
    const old = await mintToken(auth, { subject: 'demo', ttlSeconds: 60, now: () => Date.now() - 3_600_000 });
    await assert.rejects(verifier.verify(old), (err: unknown) => err instanceof UnauthenticatedError && err.code === 'token_expired');
  });

  it('when a token is minted under one demo run secret, then another run refuses it', async () => {
    const first = authConfig(demoAuth(randomBytes(32).toString('base64url')));
    const second = authConfig(demoAuth(randomBytes(32).toString('base64url')));
    const token = await mintToken(first, { subject: 'demo' });
    await assert.rejects(createTokenVerifier(second).verify(token), (err: unknown) => err instanceof UnauthenticatedError && err.code === 'invalid_token');
  });
});
