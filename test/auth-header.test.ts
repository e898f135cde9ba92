// The Authorization header, parsed strictly: missing, malformed, duplicated, oversized, scheme case, anonymous mode.
import assert from 'node:assert/strict';
import { createSecretKey } from 'node:crypto';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { SECRET, authApp, hmacAuth, sign } from './support/auth-app.js';

const hmac = createSecretKey(Buffer.from(SECRET));
const INVALID_REQUEST = /^Bearer realm="gatehouse", error="invalid_request", error_description="[^"]+"$/;

/** Sends raw header lines (supertest merges repeated headers), answering status, headers and parsed body. */
function rawGet(server: Server, headers: [string, string][]): Promise<{ status: number; headers: Record<string, unknown>; body: Record<string, unknown> }> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/whoami', method: 'GET', headers: [['Host', `127.0.0.1:${port}`], ...headers].flat() }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('Authorization header', () => {
  const { app, events } = authApp(hmacAuth());
  let token: string;
  let server: Server;
  let bigHeaderServer: Server;
  before(async () => {
    token = await sign(hmac, 'HS256');
    server = createServer(app);
    // Node refuses headers over 16 KB on its own; this server lets a 100 KB header reach the middleware.
    bigHeaderServer = createServer({ maxHeaderSize: 256 * 1024 }, app);
    await Promise.all([server, bigHeaderServer].map((s) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve))));
  });
  after(() => {
    for (const s of [server, bigHeaderServer]) {
      s.closeAllConnections();
      s.close();
    }
  });

  it('when no Authorization header is sent, then 401 missing_token with a bare Bearer challenge', async () => {
    const res = await request(app).get('/whoami');
    assert.equal(res.status, 401);
    assert.equal(res.body.code, 'missing_token');
    assert.equal(res.headers['www-authenticate'], 'Bearer realm="gatehouse"');
  });

  it('when the token is only in the access_token query parameter, then it is ignored: 401 missing_token', async () => {
    const res = await request(app).get(`/whoami?access_token=${token}`);
    assert.equal(res.status, 401);
    assert.equal(res.body.code, 'missing_token');
  });

  for (const [name, value] of [
    ['the scheme alone', 'Bearer'],
    ['the scheme and spaces only', 'Bearer    '],
    ['a token with a space inside', 'Bearer abc def'],
    ['two comma-joined credentials', 'Bearer abc, Bearer def'],
    ['a token with characters outside b64token', 'Bearer abc<script>'],
    ['Basic credentials', 'Basic dXNlcjpwYXNz'],
    ['another scheme with a JWT', 'Token eyJhbGciOiJIUzI1NiJ9.e30.sig'],
    ['a token with no scheme', 'eyJhbGciOiJIUzI1NiJ9.e30.sig'],
  ] as const) {
    it(`when the header holds ${name}, then 401 invalid_authorization_header (invalid_request)`, async () => {
      const res = await request(app).get('/whoami').set('Authorization', value);
      assert.equal(res.status, 401);
      assert.equal(res.body.code, 'invalid_authorization_header');
      assert.match(res.headers['www-authenticate'] as string, INVALID_REQUEST);
    });
  }

  it('when the scheme is written in lowercase, then the token is accepted (RFC 7235: schemes are case-insensitive)', async () => {
    const res = await request(app).get('/whoami').set('Authorization', `bearer ${token}`);
    assert.equal(res.status, 200);
    assert.equal(res.body.subject, 'alice');
  });

  it('when the scheme is in capitals and followed by two spaces, then the token is accepted (RFC 7235: 1*SP)', async () => {
    const res = await request(app).get('/whoami').set('Authorization', `BEARER  ${token}`);
    assert.equal(res.status, 200);
  });

  it('when the lowercase scheme carries a bad token, then it is still verified and refused', async () => {
    const res = await request(app).get('/whoami').set('Authorization', `bearer ${token.slice(0, -2)}xx`);
    assert.equal(res.status, 401);
    assert.equal(res.body.code, 'invalid_token');
  });

  it('when two Authorization headers are sent, even both valid, then 401 invalid_authorization_header', async () => {
    const res = await rawGet(server, [
      ['Authorization', `Bearer ${token}`],
      ['Authorization', `Bearer ${token}`],
    ]);
    assert.equal(res.status, 401);
    assert.equal(res.body.code, 'invalid_authorization_header');
    assert.match(res.headers['www-authenticate'] as string, INVALID_REQUEST);
    assert.match(res.headers['www-authenticate'] as string, /exactly one Authorization header/);
  });

  it('when a 100 KB token arrives, then 401 token_too_large and the token is never parsed or verified', async () => {
    const before = events.length;
    const huge = `${'A'.repeat(100 * 1024)}.e30.sig`;
    const res = await rawGet(bigHeaderServer, [['Authorization', `Bearer ${huge}`]]);
    assert.equal(res.status, 401);
    assert.equal(res.body.code, 'token_too_large');
    assert.match(res.headers['www-authenticate'] as string, INVALID_REQUEST);
    assert.equal(events.length, before, 'the verifier saw nothing');
  });

  it('when a 100 KB token reaches a server with Node\'s default header limit, then Node refuses it with 431 before the app runs', async () => {
    const res = await rawGet(server, [['Authorization', `Bearer ${'A'.repeat(100 * 1024)}`]]);
    assert.equal(res.status, 431);
  });

  it('when a token just over the 8 KB cap arrives, then 401 token_too_large', async () => {
    const res = await rawGet(server, [['Authorization', `Bearer ${'A'.repeat(8193)}`]]);
    assert.equal(res.status, 401);
    assert.equal(res.body.code, 'token_too_large');
  });
});

describe('anonymous mode', () => {
  const { app } = authApp(hmacAuth({ anonymous: true }));

  it('when anonymous is on and no token is sent, then the request goes on with no principal', async () => {
    const res = await request(app).get('/whoami');
    assert.equal(res.status, 200);
    assert.equal(res.body, null);
  });

  it('when anonymous is on and a bad token is sent, then 401: a token, once presented, must be valid', async () => {
    const res = await request(app).get('/whoami').set('Authorization', 'Bearer abc.def.ghi');
    assert.equal(res.status, 401);
    assert.equal(res.body.code, 'invalid_token');
  });
});
