// The shipped runtime: the demo starts on Node 24 (the image's Node), serves a token-authenticated read, stops on SIGTERM.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { projectRoot } from './support/project.js';

/** Node 24 from the npm package `node@24`, cached between runs; or the reason it cannot be had. */
function node24(): { bin: string } | { skip: string } {
  const explicit = process.env.GATEHOUSE_NODE24;
  if (explicit) return { bin: explicit };
  if (process.versions.node.startsWith('24.')) return { bin: process.execPath };
  const dir = path.join(os.tmpdir(), 'gatehouse-node24');
  const bin = path.join(dir, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(bin)) {
    mkdirSync(dir, { recursive: true });
    const npm = spawnSync('npm', ['install', '--prefix', dir, '--no-save', '--no-audit', '--no-fund', 'node@24'], {
      encoding: 'utf8',
      timeout: 300_000,
    });
    if (npm.status !== 0 || !existsSync(bin)) {
      const reason = `Node 24 could not be installed from the npm package node@24: ${(npm.stderr || npm.error?.message || '').trim().split('\n').pop()}`;
      if (process.env.CI === 'true') throw new Error(reason);
      return { skip: reason };
    }
  }
  return { bin };
}

const runtime = node24();

test(
  'on Node 24, the demo starts, answers a read with its printed token, and exits promptly on SIGTERM',
  { skip: 'skip' in runtime ? runtime.skip : false, timeout: 180_000 },
  async () => {
    const bin = (runtime as { bin: string }).bin;
    const version = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim();
    assert.match(version, /^v24\./);
    const child = spawn(bin, ['--import', 'tsx', 'src/cli/index.ts', 'demo', '--port', '0'], {
      cwd: projectRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.resume();
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 150_000;
      while (!/export TOKEN=\S+/.test(stderr) && Date.now() < deadline) {
        if (child.exitCode !== null) assert.fail(`the demo exited early: ${stderr}`);
        await new Promise((r) => setTimeout(r, 200));
      }
      const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr)?.[1];
      const token = /export TOKEN=(\S+)/.exec(stderr)?.[1];
      assert.ok(url && token, `the banner names the URL and a token: ${stderr}`);
      const ready = await fetch(`${url}/readyz`);
      assert.equal(ready.status, 200);
      const res = await fetch(`${url}/order-lines/10003/1`, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { orderNo: number }).orderNo, 10003);
      const started = Date.now();
      child.kill('SIGTERM');
      const code = await exited;
      assert.equal(code, 0, `clean exit on SIGTERM: ${stderr.slice(-500)}`);
      assert.ok(Date.now() - started < 10_000, 'stops within 10 s');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  },
);
