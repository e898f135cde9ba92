// The served contract tells the truth: requests generated from /openapi.json by a schema-driven fuzzer go to the
// demo, and every answer is checked with ajv against the public document and the caller's scoped one.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startDemo, type RunningDemo } from '../src/demo/start-demo.js';
import { contractChecker, METHODS, requestMaker, type Answer, type ContractChecker, type FuzzRequest } from './support/contract-fuzz.js';

type Json = Record<string, unknown>;

const SEED = 20_261_207;
const REQUESTS_PER_OPERATION = 8;
const LIMITS = {
  GATEHOUSE_RATELIMIT__COARSE__LIMIT: '100000',
  GATEHOUSE_RATELIMIT__PRINCIPAL__READ__LIMIT: '100000',
  GATEHOUSE_RATELIMIT__PRINCIPAL__WRITE__LIMIT: '100000',
  GATEHOUSE_RATELIMIT__PRINCIPAL__AUDIT__LIMIT: '8',
};

describe('the served contract, fuzzed against the demo', () => {
  let demo: RunningDemo;
  let publicDoc: Json;
  let scopedDoc: Json;
  let publicCheck: ContractChecker;
  let scopedCheck: ContractChecker;
  before(async () => {
    // Budgets wide enough for the fuzz, but for the auditor API's: its 429s are answers the contract must describe too.
    demo = await startDemo({ port: 0 }, LIMITS, { silent: true });
    publicDoc = (await (await fetch(`${demo.running.url}/openapi.json`)).json()) as Json;
    const scoped = await fetch(`${demo.running.url}/openapi.json?scoped=true`, { headers: { Authorization: `Bearer ${demo.token}` } });
    assert.equal(scoped.status, 200);
    scopedDoc = (await scoped.json()) as Json;
    publicCheck = contractChecker(publicDoc, '/components/schemas/Problem');
    scopedCheck = contractChecker(scopedDoc, '/components/schemas/Problem');
  });
  after(async () => demo?.running.stop());

  const send = async (request: FuzzRequest, token: string | undefined = demo.token): Promise<Answer & { headers: Headers }> => {
    const response = await fetch(`${demo.running.url}${request.path}`, {
      method: request.method,
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...request.headers },
      body: request.body,
    });
    const headers = response.headers;
    return { status: response.status, contentType: headers.get('content-type') ?? undefined, text: await response.text(), headers, header: (name) => headers.get(name) ?? undefined };
  };

  /** Every operation's answers against both documents: what went wrong, one line each. */
  const fuzz = async (document: Json, seed: number): Promise<{ sent: number; statuses: Map<number, number>; serverErrors: string[]; undocumented: string[] }> => {
    const maker = requestMaker(document, seed);
    const serverErrors: string[] = [];
    const undocumented: string[] = [];
    let sent = 0;
    const statuses = new Map<number, number>();
    for (const [route, item] of Object.entries(document.paths as Record<string, Json>)) {
      for (const method of METHODS) {
        if (!item[method]) continue;
        for (const request of maker.requests(route, method, REQUESTS_PER_OPERATION)) {
          const answer = await send(request);
          sent += 1;
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          const line = `${request.method} ${request.path} ${request.body ?? ''} → ${answer.status} ${answer.text.slice(0, 160)}`;
          if (answer.status >= 500 && answer.status !== 503 && answer.status !== 504) serverErrors.push(line);
          const problems = [...publicCheck.check(route, method, answer).map((p) => `public: ${p}`)];
          if ((scopedDoc.paths as Record<string, Json | undefined>)[route]?.[method]) problems.push(...scopedCheck.check(route, method, answer).map((p) => `scoped: ${p}`));
          if (problems.length > 0) undocumented.push(`${line}\n    ${problems.join('\n    ')}`);
        }
      }
    }
    return { sent, statuses, serverErrors, undocumented };
  };

  it('when every operation of the public document gets generated requests, then no answer is a server error or undocumented', async () => {
    const started = Date.now();
    const { sent, statuses, serverErrors, undocumented } = await fuzz(publicDoc, SEED);
    assert.ok(sent >= 40 * REQUESTS_PER_OPERATION, `sent ${sent}`);
    // The run reaches past validation and into the refusals: rows answered, and the auditor API's budget spent.
    assert.ok((statuses.get(200) ?? 0) >= 30 && (statuses.get(429) ?? 0) > 0, JSON.stringify([...statuses]));
    assert.deepEqual(serverErrors, []);
    assert.deepEqual(undocumented, [], `${undocumented.length} of ${sent} answers are not what the contract says:\n${undocumented.slice(0, 25).join('\n')}`);
    assert.ok(Date.now() - started < 60_000, `took ${Date.now() - started} ms`);
  });

  it('when every operation of the scoped document gets generated requests, then no answer is a server error or undocumented', async () => {
    const { sent, serverErrors, undocumented } = await fuzz(scopedDoc, SEED + 1);
    assert.ok(sent > 0);
    assert.deepEqual(serverErrors, []);
    assert.deepEqual(undocumented, [], `${undocumented.length} of ${sent} answers are not what the contract says:\n${undocumented.slice(0, 25).join('\n')}`);
  });

  it('when a selected subset, an export format and a masked column are read, then the answers match both documents', async () => {
    const cases: Array<[route: string, request: FuzzRequest]> = [
      ['/customers', { method: 'GET', path: '/customers?select=name&limit=3', headers: {}, body: undefined }],
      ['/customers/{id}', { method: 'GET', path: '/customers/1?select=email', headers: {}, body: undefined }],
      ['/customers', { method: 'GET', path: '/customers?select=id,creditLimit&limit=5', headers: {}, body: undefined }],
      ['/customers', { method: 'GET', path: '/customers?limit=3', headers: { Accept: 'text/csv' }, body: undefined }],
      ['/customers', { method: 'GET', path: '/customers?limit=3', headers: { Accept: 'application/x-ndjson' }, body: undefined }],
      ['/customers', { method: 'GET', path: '/customers?limit=all', headers: { Accept: 'application/x-ndjson' }, body: undefined }],
      ['/customer-notes', { method: 'GET', path: '/customer-notes?limit=3', headers: {}, body: undefined }],
      ['/healthz', { method: 'GET', path: '/healthz', headers: {}, body: undefined }],
      ['/readyz', { method: 'GET', path: '/readyz', headers: {}, body: undefined }],
    ];
    const wrong: string[] = [];
    for (const [route, request] of cases) {
      const answer = await send(request);
      if (answer.status >= 500) wrong.push(`${request.path} → ${answer.status}`);
      for (const [name, check] of [['public', publicCheck], ['scoped', scopedCheck]] as const) {
        for (const p of check.check(route, 'get', answer)) wrong.push(`${name}: ${request.path} (${request.headers.Accept ?? 'json'}) → ${answer.status}: ${p}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it('when a path has a malformed escape or an empty key, then the problem is a 404 whose instance is a URI reference', async () => {
    for (const path of ['/customers/%zz', '/items/', '/customers/a%20b%zz?x=1']) {
      const answer = await send({ method: 'GET', path, headers: {}, body: undefined });
      assert.equal(answer.status, 404, `${path}: ${answer.text}`);
      assert.deepEqual(publicCheck.checkProblem(answer), [], `${path}: ${answer.text}`);
    }
  });

  it('when a gateway endpoint is called with a method it does not serve, then 405 names the allowed methods', async () => {
    for (const [method, path] of [['POST', '/healthz'], ['DELETE', '/readyz'], ['PUT', '/openapi.json'], ['POST', '/_gatehouse/audit/verify']] as const) {
      const answer = await send({ method, path, headers: {}, body: undefined });
      assert.equal(answer.status, 405, `${method} ${path}: ${answer.text}`);
      assert.match(answer.headers.get('allow') ?? '', /\bGET\b/);
      assert.equal(JSON.parse(answer.text).code, 'method_not_allowed');
    }
  });
});
