// README's typed-client steps, done as written against the running demo: the scoped contract → openapi-typescript
// types → a client calling the gateway through openapi-fetch, type-checked with tsc and then run.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDemo, type RunningDemo } from '../src/demo/start-demo.js';
import { projectRoot } from './support/project.js';

interface Run {
  readonly code: number | null;
  readonly output: string;
}

/** An `npx TOOL …` line from README, run with the tool this repository installs (npx could fetch a namesake). */
function npx(line: string, cwd: string, env: Record<string, string> = {}): Promise<Run> {
  const [tool, ...args] = line.replace(/^npx /, '').replace(/\s+#.*$/, '').trim().split(/\s+/);
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(projectRoot, 'node_modules', '.bin', tool!), args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const installed = (name: string): string =>
  (JSON.parse(readFileSync(path.join(projectRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

describe('a typed client, as README shows it', () => {
  let demo: RunningDemo;
  let dir: string;
  let section: string;
  before(async () => {
    const readme = await readFile(path.join(projectRoot, 'README.md'), 'utf8');
    section = readme.slice(readme.indexOf('## A typed client'), readme.indexOf('\n## ', readme.indexOf('## A typed client') + 1));
    demo = await startDemo({ port: 0 }, {}, { silent: true });
    // Inside the repository, so that the client resolves openapi-fetch from its node_modules; tmp/ is ignored by git.
    dir = path.join(projectRoot, 'tmp', `typed-client-${process.pid}`);
    await mkdir(dir, { recursive: true });
  });
  after(async () => {
    await demo?.running.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('when README pins openapi-fetch, openapi-typescript and TypeScript, then those are the versions tested here', () => {
    const pinned = (name: string): string | undefined => new RegExp(`(?:^|\\s)${name}@([\\d.]+)`, 'm').exec(section)?.[1];
    assert.equal(pinned('openapi-fetch'), installed('openapi-fetch'));
    assert.equal(pinned('openapi-typescript'), installed('openapi-typescript'));
    assert.ok(installed('typescript').startsWith(`${pinned('typescript')}.`), `typescript ${installed('typescript')} is ${pinned('typescript')}.x`);
  });

  it('when the steps are followed against the demo, then the client type-checks, a wrong call does not, and it runs', async () => {
    // `npm init -y && npm pkg set type=module`
    await writeFile(path.join(dir, 'package.json'), JSON.stringify({ name: 'erp-client', type: 'module', private: true }));
    // `curl … /openapi.json?scoped=true -o erp-api.json`
    const curl = /curl -fsS -H "Authorization: Bearer \$TOKEN" 'http:\/\/127\.0\.0\.1:8080(\/openapi\.json\?scoped=true)' -o (\S+)/.exec(section);
    assert.ok(curl, 'README fetches the scoped contract');
    const scoped = await fetch(`${demo.running.url}${curl[1]}`, { headers: { Authorization: `Bearer ${demo.token}` } });
    assert.equal(scoped.status, 200);
    await writeFile(path.join(dir, curl[2]!), await scoped.text());

    const generate = /^npx openapi-typescript .*$/m.exec(section)?.[0];
    assert.ok(generate);
    const generated = await npx(generate, dir);
    assert.equal(generated.code, 0, generated.output);

    const client = /`client\.ts`:\n\n```ts\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(client, 'README shows client.ts');
    await writeFile(path.join(dir, 'client.ts'), client);
    const typecheck = /^npx tsc .*$/m.exec(section)?.[0];
    assert.ok(typecheck);
    const checked = await npx(typecheck, dir);
    assert.equal(checked.code, 0, checked.output);

    // The types are the contract's: a path it lacks and a parameter of the wrong type do not compile.
    const wrong = client
      .replace("gatehouse.GET('/customers'", "gatehouse.GET('/customer'")
      .replace("limit: 5", "limit: 'five'");
    await writeFile(path.join(dir, 'client.ts'), wrong);
    const refused = await npx(typecheck, dir);
    assert.notEqual(refused.code, 0);
    assert.match(refused.output, /client\.ts\(\d+,\d+\): error TS\d+: .*"\/customer"/);
    await writeFile(path.join(dir, 'client.ts'), client);

    const ran = await npx(/^npx tsx client\.ts$/m.exec(section)![0], dir, { TOKEN: demo.token, GATEHOUSE_URL: demo.running.url });
    assert.equal(ran.code, 0, ran.output);
    const rows = ran.output.trim().split('\n');
    assert.equal(rows.length, 5, ran.output);
    for (const row of rows) assert.match(row, /^\d+ .+ EMEA$/, 'the demo user sees the customers of region EMEA');
  });
});
