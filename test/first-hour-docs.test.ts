// What a new user copies from the documentation works against the demo with the demo token: the contract's
// example requests (the /docs page shows them), Swagger UI's "Try it out" defaults, README's and the banner's
// requests; and the contract says what `limit` really does.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { printDemoBanner } from '../src/cli/demo-banner.js';
import { startDemo, type RunningDemo } from '../src/demo/start-demo.js';
import { ERP_SPEC, projectRoot } from './support/gateway.js';

type Json = Record<string, unknown>;

describe('the documentation, tried on the demo with the demo token', () => {
  let demo: RunningDemo;
  before(async () => {
    demo = await startDemo({ port: 0 }, {}, { silent: true });
  });
  after(async () => demo?.running.stop());

  const send = async (pathAndQuery: string, init: RequestInit = {}): Promise<{ status: number; code?: string }> => {
    const response = await fetch(`${demo.running.url}${pathAndQuery}`, {
      ...init,
      headers: { Authorization: `Bearer ${demo.token}`, ...(init.headers as Record<string, string> | undefined) },
    });
    const body = (await response.json().catch(() => undefined)) as { code?: string } | undefined;
    return { status: response.status, code: body?.code };
  };
  const failures = async (requests: readonly string[], expected = 200): Promise<string[]> => {
    const out: string[] = [];
    for (const request of requests) {
      const { status, code } = await send(request);
      if (status !== expected) out.push(`${request} → ${status} ${code ?? ''}`);
    }
    return out;
  };

  it('when each example request written in the contract is sent, then each answers 200', async () => {
    const text = await readFile(ERP_SPEC, 'utf8');
    const examples = [...text.matchAll(/`(\/[a-z-]+\?[^`\s]+)`/g)].map((m) => m[1]!);
    assert.ok(examples.length >= 10, `found ${examples.length} examples`);
    assert.ok(examples.includes('/customers?region=eq.EMEA'), 'the docs page\'s first example is a full request');
    assert.deepEqual(await failures(examples), []);
  });

  it('when "Try it out" sends a list operation with the contract\'s parameter examples, then it answers 200', async () => {
    const document = (await (await fetch(`${demo.running.url}/openapi.json`)).json()) as Json;
    const parameters = (document.components as Json).parameters as Record<string, Json>;
    const tried: string[] = [];
    for (const [route, item] of Object.entries(document.paths as Record<string, Json>)) {
      const get = item.get as { parameters?: Json[] } | undefined;
      if (!get || route.includes('{') || route.startsWith('/_gatehouse') || route.endsWith('z')) continue;
      const query = new URLSearchParams();
      for (const ref of get.parameters ?? []) {
        const parameter = typeof ref.$ref === 'string' ? parameters[ref.$ref.split('/').pop()!]! : ref;
        if (parameter.in === 'query' && parameter.example !== undefined) query.set(String(parameter.name), String(parameter.example));
      }
      tried.push(`${route}?${query}`);
    }
    assert.ok(tried.length >= 6, tried.join('\n'));
    assert.deepEqual(await failures(tried), []);
  });

  it('when README\'s and the banner\'s example requests are sent, then each answers as shown', async () => {
    const readme = await readFile(path.join(projectRoot, 'README.md'), 'utf8');
    const fromReadme = [...readme.matchAll(/curl -H "Authorization: Bearer \$TOKEN" 'http:\/\/127\.0\.0\.1:8080(\/[^']+)'/g)].map((m) => m[1]!);
    assert.ok(fromReadme.length >= 2, fromReadme.join('\n'));
    assert.deepEqual(await failures(fromReadme), []);

    let banner = '';
    printDemoBanner(new Writable({ write: (c: Buffer, _e, done) => ((banner += c.toString()), done()) }), {
      url: demo.running.url,
      summary: demo.summary,
      token: demo.token,
    });
    const origin = demo.running.url.replace(/[.]/g, '\\.');
    const gets = [...banner.matchAll(new RegExp(`curl -H "Authorization: Bearer \\$TOKEN" '${origin}(/[^']+)'`, 'g'))].map((m) => m[1]!);
    assert.ok(gets.length >= 4, banner);
    assert.deepEqual(await failures(gets), []);
    const post = /-X POST '[^']+(\/customers)'[^\n]*\\\n\s+-d '([^']+)'/.exec(banner);
    assert.ok(post, 'the banner shows a create');
    const created = await send(post[1]!, { method: 'POST', headers: { 'Content-Type': 'application/json', Prefer: 'return=representation' }, body: post[2]! });
    assert.equal(created.status, 201);
  });

  it('when the probes, the contract and the docs are requested, then all but the probes are audited, as README says', async () => {
    const readme = await readFile(path.join(projectRoot, 'README.md'), 'utf8');
    assert.match(readme.replace(/\s+/g, ' '), /The health probes `\/healthz` and `\/readyz` are the exception: they are not audited unless `audit\.includeHealth: true`/);
    const ids: Record<string, string> = {};
    for (const route of ['/healthz', '/readyz', '/openapi.json', '/docs/', '/customers?limit=1']) {
      ids[route] = `first-hour-${route.replace(/[^a-z]/g, '')}-${Date.now()}`;
      const response = await fetch(`${demo.running.url}${route}`, { headers: { Authorization: `Bearer ${demo.token}`, 'X-Request-Id': ids[route]! } });
      assert.equal(response.status, 200, route);
      await response.arrayBuffer();
    }
    const audited: Record<string, number> = {};
    // A caller's X-Request-Id becomes the request id only once the caller is admitted (a token for the data
    // route); the public contract and docs record it apart, as clientRequestId.
    for (const [route, id] of Object.entries(ids)) {
      audited[route] = 0;
      for (const filter of ['requestId', 'clientRequestId']) {
        const response = await fetch(`${demo.running.url}/_gatehouse/audit/events?${filter}=${id}`, { headers: { Authorization: `Bearer ${demo.token}` } });
        const page = (await response.json()) as { events?: unknown[]; items?: unknown[] } | unknown[];
        audited[route] += (Array.isArray(page) ? page : (page.events ?? page.items ?? [])).length;
      }
    }
    assert.deepEqual(audited, { '/healthz': 0, '/readyz': 0, '/openapi.json': 1, '/docs/': 1, '/customers?limit=1': 1 });
  });

  it('when limit is above the maximum page size or below 1, then 400, as the contract says', async () => {
    const document = (await (await fetch(`${demo.running.url}/openapi.json`)).json()) as Json;
    const limit = ((document.components as Json).parameters as Record<string, Json>).limit!;
    assert.match(String(limit.description), /a larger value is refused with 400 `limit_too_large`/);
    assert.equal((limit.schema as Json).minimum, 1);
    assert.deepEqual(await send('/customers?limit=501'), { status: 400, code: 'limit_too_large' });
    assert.deepEqual(await send('/customers?limit=0'), { status: 400, code: 'invalid_parameter' });
  });
});
