// The first commands a new user types on a fresh clone: `npx gatehouse --help` right after `npm ci`, and
// `npm start`, which must stop serving when the npm process is told to stop.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startDemoProcess } from './support/demo-process.js';
import { projectRoot } from './support/project.js';
import { childPids, waitForExit } from './support/processes.js';
import { scratchCheckout, type ScratchCheckout } from './support/scratch-checkout.js';

/** The environment of a user's shell: none of the runner's GATEHOUSE_* settings, an npm cache of its own. */
function userEnv(npmCache: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_') && !k.startsWith('npm_')));
  return { ...env, npm_config_cache: npmCache, npm_config_offline: 'true', npm_config_update_notifier: 'false' };
}

function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Whether anything still accepts connections at `url`. */
async function answers(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(5000) });
    return true;
  } catch {
    return false;
  }
}

describe('a fresh clone after npm ci', () => {
  let checkout: ScratchCheckout;
  let npmCache: string;
  before(async () => {
    checkout = await scratchCheckout();
    npmCache = await mkdtemp(path.join(tmpdir(), 'gatehouse-npm-cache-'));
  });
  after(async () => {
    await checkout?.remove();
    if (npmCache) await rm(npmCache, { recursive: true, force: true });
  });

  it('when nothing was built yet, then `npx gatehouse --help` lists the commands', async () => {
    assert.ok(!existsSync(path.join(checkout.dir, 'dist')), 'no build in the checkout');
    const pkg = JSON.parse(await readFile(path.join(checkout.dir, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    assert.ok(existsSync(path.join(checkout.dir, pkg.bin.gatehouse!)), 'the bin is a tracked file, not a build output');
    const result = await run('npx', ['gatehouse', '--help'], checkout.dir, userEnv(npmCache));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^Usage: gatehouse \[options\] \[command\]/);
    for (const command of ['serve', 'demo', 'init', 'check', 'config', 'token', 'migrate', 'audit']) {
      assert.match(result.stdout, new RegExp(`\\n  ${command} `), `${command} is listed`);
    }
    assert.doesNotMatch(result.stdout, /SQL Server/, 'it claims only what works');
  });

  it('when `npm start` gets SIGTERM, then the gateway it started stops too', async () => {
    const demo = await startDemoProcess({
      command: (port) => ({ file: 'npm', args: ['start', '--silent', '--', '--port', String(port)], cwd: checkout.dir, env: userEnv(npmCache) }),
    });
    const npmPid = demo.child.pid!;
    const served = childPids(npmPid);
    assert.ok(await answers(demo.url), 'the demo answers before the signal');
    assert.ok(served.length > 0, 'npm runs the gateway as its child');
    process.kill(npmPid, 'SIGTERM');
    assert.ok(await waitForExit(demo.child, 30_000), 'npm exits');
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (served.some((pid) => existsSync(`/proc/${pid}`)) || (await answers(demo.url)))) {
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const left = served.filter((pid) => existsSync(`/proc/${pid}`));
    for (const pid of left) process.kill(pid, 'SIGKILL');
    assert.deepEqual(left, [], 'no process npm started is left running');
    assert.equal(await answers(demo.url), false, 'nothing answers on the demo port');
  });
});

describe('the repository', () => {
  it('when package.json describes the package, then it claims no SQL Server support', async () => {
    const pkg = JSON.parse(await readFile(path.join(projectRoot, 'package.json'), 'utf8')) as { description: string };
    assert.match(pkg.description, /PostgreSQL/);
    assert.doesNotMatch(pkg.description, /SQL Server|mssql/i);
  });
});
