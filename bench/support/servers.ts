// Starting the servers the pipeline and export benchmarks load: the compiled gateway, the floor, Platformatic DB;
// each a child process on a free loopback port, ready once a given URL answers 200.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, waitForExit } from '../../test/support/processes.js';
import { root } from './compile.js';

export interface Running {
  readonly child: ChildProcess;
  readonly url: string;
}

/** BENCH_PROFILE=<dir>: V8 CPU profiles of the gateways, written there when they stop (open them in Chrome DevTools). */
function profileFlags(): string[] {
  return process.env.BENCH_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
}

function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
}

/** Polls `url` until it answers 200; throws if the child exits first or `timeoutMs` passes. */
export async function waitForUrl(url: string, child: ChildProcess, headers: Record<string, string> = {}, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'not tried';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: the server exited with ${child.exitCode} before answering`);
    try {
      const res = await fetch(url, { headers });
      last = `${res.status} ${(await res.text()).slice(0, 300)}`;
      if (res.status === 200) return;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(100);
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last})`);
}

/** The flags the image gives node (its ENTRYPOINT in the Dockerfile): the bench runs the gateway as it ships. */
export function shippedNodeFlags(): string[] {
  const line = readFileSync(path.join(root, 'Dockerfile'), 'utf8').match(/^ENTRYPOINT (\[.*\])$/m);
  if (!line) throw new Error('the Dockerfile has no ENTRYPOINT in exec form');
  return (JSON.parse(line[1]!) as string[]).filter((arg) => arg.startsWith('--'));
}

/** `gatehouse serve` from the compiled build, with the image's node flags; `extraFlags` go to node too (e.g. the peak-RSS reporter). */
export async function startGateway(cli: string, config: { file: string; port: number }, extraFlags: string[] = []): Promise<Running> {
  const child = spawn(process.execPath, [...shippedNodeFlags(), ...extraFlags, ...profileFlags(), cli, 'serve', '--config', config.file], {
    cwd: root,
    env: cleanEnv(),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${config.port}`;
  await readyOrKilled(child, `${url}/readyz`);
  return { child, url };
}

export async function startFloor(dataUrl: string, pool: number, columns: string): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(root, 'bench', 'support', 'floor-server.mjs'), dataUrl, String(port), String(pool), columns], {
    cwd: root,
    env: cleanEnv(),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  await readyOrKilled(child, `${url}/items/1`);
  return { child, url };
}

/** Platformatic DB from its cache folder, on BENCH_PLATFORMATIC_NODE (a Node 20 binary) or this node. */
export async function startPlatformatic(cacheDir: string, dataUrl: string, pool: number): Promise<Running> {
  const port = await freePort();
  const node = process.env.BENCH_PLATFORMATIC_NODE || process.execPath;
  const child = spawn(node, [path.join(root, 'bench', 'support', 'platformatic-server.mjs'), cacheDir, dataUrl, String(port), String(pool)], {
    cwd: cacheDir,
    env: cleanEnv(),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  // Platformatic names the routes after the entity, in the singular.
  await readyOrKilled(child, `${url}/item/1`);
  return { child, url };
}

/** A server that never got ready must not outlive the bench. */
async function readyOrKilled(child: ChildProcess, url: string): Promise<void> {
  try {
    await waitForUrl(url, child);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

/** SIGTERM, then SIGKILL after 30 s. */
export async function stop(running: Running): Promise<void> {
  const { child } = running;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if (!(await waitForExit(child, 30_000))) {
    child.kill('SIGKILL');
    await waitForExit(child, 5_000);
  }
}
