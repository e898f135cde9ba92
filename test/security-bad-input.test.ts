// Bad input that used to end in a 500: undecodable compressed bodies on the data API, and malformed cursors, dates,
// NUL bytes and unknown parameters on the auditor API. Each must be the caller's 400, and nothing may reach the store.
import assert from 'node:assert/strict';
import { gzipSync, brotliCompressSync, deflateSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { SignJWT } from 'jose';
import { seedErp } from '../src/demo/erp-schema.js';
import { assertProblem, count, startGateway, testConfig, type TestGateway } from './support/gateway.js';
import { freshDatabase, testPostgres } from './support/pg-env.js';

const pg = testPostgres();
const skip = 'skip' in pg ? pg.skip : false;

describe('compressed bodies on the data API', () => {
  let gw: TestGateway;
  const body = JSON.stringify({ name: 'Compressed', region: 'EMEA' });

  before(async () => {
    gw = await startGateway({ config: testConfig({ source: { client: 'pglite' } }), seed: (db) => seedErp(db, { scale: 0.05 }) });
  });
  after(() => gw?.close());

  /** The bytes exactly as given: superagent would otherwise serialize a Buffer as JSON. */
  const post = (encoding: string, payload: Buffer) =>
    gw.http
      .post('/customers')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', encoding)
      .serialize((bytes: unknown) => bytes as string)
      .send(payload);

  for (const encoding of ['gzip', 'deflate', 'br']) {
    test(`when a body says Content-Encoding: ${encoding} but is plain JSON, then 400 invalid_content_encoding and nothing is written`, async () => {
      const before_ = await count(gw.db, '"CUST_MSTR"');
      assertProblem(await post(encoding, Buffer.from(body)), 400, 'invalid_content_encoding');
      assert.equal(await count(gw.db, '"CUST_MSTR"'), before_);
    });
  }

  test('when a gzip body is cut short, then 400 invalid_content_encoding', async () => {
    const zipped = gzipSync(Buffer.from(body));
    assertProblem(await post('gzip', zipped.subarray(0, zipped.length - 6)), 400, 'invalid_content_encoding');
  });

  test('when gzip, deflate and br bodies are valid, then they are read like plain ones', async () => {
    for (const [encoding, payload] of [['gzip', gzipSync(body)], ['deflate', deflateSync(body)], ['br', brotliCompressSync(body)]] as const) {
      const res = await post(encoding, payload);
      assert.equal(res.status, 201, `${encoding}: ${res.text}`);
    }
  });
});

describe('bad input to the auditor API', { skip }, () => {
  const ISSUER = 'https://idp.bad-input.example';
  const SECRET = 'bad-input-test-secret-0123456789-abcdefghij';
  let gw: TestGateway;
  let auditor: string;
  let cursor: [string, string, number];

  const token = (scopes: string[]): Promise<string> =>
    new SignJWT({ scope: scopes.join(' ') })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISSUER)
      .setAudience('gatehouse')
      .setSubject('auditor')
      .setIssuedAt()
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(SECRET));
  const get = (path: string) => gw.http.get(path).set('Authorization', `Bearer ${auditor}`);
  const raw = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');
  /** Events in the store: a refused request must add only its own (one), never a failed query's. */
  const storedEvents = (): Promise<number> => count(gw.storeDb, 'audit_events');

  before(async () => {
    gw = await startGateway({
      config: testConfig({
        source: { client: 'pg', url: await freshDatabase('bad_input_data') },
        store: await freshDatabase('bad_input_store'),
        auth: { issuers: [{ issuer: ISSUER, audience: 'gatehouse', keys: [{ algorithms: ['HS256'], secret: SECRET }] }] },
        extra: { policies: { rules: [] } },
      }),
      seed: seedErp,
    });
    auditor = await token(['audit:read']);
    for (let i = 0; i < 3; i++) await get('/_gatehouse/audit/events?limit=1');
    const page = await get('/_gatehouse/audit/events?limit=1');
    assert.equal(page.status, 200, page.text);
    cursor = JSON.parse(Buffer.from(String(page.body.next), 'base64url').toString('utf8')) as [string, string, number];
  });
  after(() => gw?.close());

  test('when an issued cursor is followed, then the next page comes back (the control case)', async () => {
    assert.equal((await get(`/_gatehouse/audit/events?limit=1&cursor=${raw(JSON.stringify(cursor))}`)).status, 200);
  });

  test('when a cursor holds a fractional, huge or textual position, then 400 invalid_cursor', async () => {
    const [at, instance] = cursor;
    for (const forged of [
      `["${at}","${instance}",1.5]`,
      `["${at}","${instance}",1e400]`,
      `["${at}","${instance}",-1]`,
      `["${at}","${instance}","7"]`,
      `["1","${instance}",1]`,
      `["275760-09-13T00:00:00.000Z","${instance}",1]`,
      `["+275760-09-13T00:00:00.000Z","${instance}",1]`,
      `["-000001-01-01T00:00:00.000Z","${instance}",1]`,
      `["${at}","a\\u0000b",1]`,
      `["${at}","${instance}",1,"extra"]`,
      `{"at":"${at}"}`,
    ]) {
      assertProblem(await get(`/_gatehouse/audit/events?cursor=${raw(forged)}`), 400, 'invalid_cursor');
    }
  });

  test('when a date is outside years 1 to 9999 or not ISO 8601, then 400 invalid_parameter, on events and on verify', async () => {
    for (const date of ['275760-09-13', '+275760-09-13', '-000001-01-01', '0000-01-01', 'tomorrow', '1e12', '2026-01-31T25:00:00Z']) {
      assertProblem(await get(`/_gatehouse/audit/events?from=${encodeURIComponent(date)}`), 400, 'invalid_parameter');
      assertProblem(await get(`/_gatehouse/audit/events?to=${encodeURIComponent(date)}`), 400, 'invalid_parameter');
      assertProblem(await get(`/_gatehouse/audit/verify?from=${encodeURIComponent(date)}`), 400, 'invalid_parameter');
    }
    assert.equal((await get('/_gatehouse/audit/events?from=2020-01-01&to=2099-12-31T23:59:59Z')).status, 200);
  });

  test('when any filter holds a NUL byte, then 400 invalid_parameter and no query reaches the store', async () => {
    for (const name of ['subject', 'client', 'ip', 'zone', 'resource', 'operation', 'requestId', 'instance', 'sql', 'outcome', 'kind']) {
      const before_ = await storedEvents();
      assertProblem(await get(`/_gatehouse/audit/events?${name}=a%00b`), 400, 'invalid_parameter');
      assert.equal(await storedEvents(), before_ + 1, `${name}: only the refused request's own event`);
    }
  });

  test('when the event id holds a NUL byte, then 400 invalid_parameter', async () => {
    assertProblem(await get('/_gatehouse/audit/events/abc%00def'), 400, 'invalid_parameter');
    assertProblem(await get('/_gatehouse/audit/events/no-such-event'), 404, 'audit_event_not_found');
  });

  test('when an unknown query parameter is sent to any auditor endpoint, then 400 unexpected_parameter', async () => {
    assertProblem(await get('/_gatehouse/audit/events?bogus=1'), 400, 'unexpected_parameter');
    assertProblem(await get('/_gatehouse/audit/events?subjet=alice'), 400, 'unexpected_parameter');
    assertProblem(await get('/_gatehouse/audit/events/some-id?bogus=1'), 400, 'unexpected_parameter');
    assertProblem(await get('/_gatehouse/audit/verify?bogus=1'), 400, 'unexpected_parameter');
    assertProblem(await get('/_gatehouse/audit/events?subject=a&subject=b'), 400, 'duplicate_parameter');
  });

  test('when an anonymous caller sends bad parameters, then 401 before any of them is looked at', async () => {
    assertProblem(await gw.http.get('/_gatehouse/audit/events?bogus=1&from=275760-09-13'), 401, 'missing_token');
  });
});
