// Throwaway Redis servers for tests: Debian's redis-server on 127.0.0.1, a free port, no persistence; stop/start for faults.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDebianPackage, type EnsureResult } from './debian.js';
import { freePort, waitForExit } from './processes.js';
import { refuseInUnitRun } from './unit-run.js';

export const REDIS_SERVER = '/usr/bin/redis-server';
const READY_TIMEOUT_MS = 15_000;
const STOP_TIMEOUT_MS = 10_000;
const OUTPUT_TAIL_CHARS = 8_000;

export interface RedisServer {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly url: string;
  /** SIGTERM and wait until the process has exited (nothing is saved: --save ''). */
  stop(): Promise<void>;
  /** (Re)start on the same port after stop(); resolves once it accepts connections. Data starts empty. */
  start(): Promise<void>;
  /** SIGSTOP: the port still accepts connections but nothing answers, like a hung server. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** stop() and remove the working directory. */
  destroy(): Promise<void>;
}

/** Installs Debian's redis-server when missing and possible (root + apt-get). */
export function ensureRedisServer(): EnsureResult {
  return ensureDebianPackage(() => existsSync(REDIS_SERVER), 'redis-server');
}

/** Why Redis tests must skip, or undefined when they can run. scripts/test.ts decides once per run. */
export function redisSkipReason(): string | undefined {
  refuseInUnitRun('Redis');
  if (process.env.GATEHOUSE_TEST_REDIS_SKIP) return process.env.GATEHOUSE_TEST_REDIS_SKIP;
  if (existsSync(REDIS_SERVER)) return undefined;
  return `${REDIS_SERVER} not found (Debian package redis-server is not installed): run tests with \`npm test\`, which installs it`;
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

// Servers a test forgot to destroy must not outlive the test process.
const live = new Set<LocalRedis>();
let exitHookInstalled = false;

class LocalRedis implements RedisServer {
  readonly host = '127.0.0.1' as const;
  private child: ChildProcess | undefined;
  private output = '';

  constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  get url(): string {
    return `redis://${this.host}:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.child) return;
    this.output = '';
    const args = [
      '--bind', this.host,
      '--port', String(this.port),
      // Counters only: nothing is worth writing to disk, and a restart must start empty.
      '--save', '',
      '--appendonly', 'no',
      '--dir', this.dir,
      '--daemonize', 'no',
      '--loglevel', 'notice',
    ];
    const child = spawn(REDIS_SERVER, args, { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    const collect = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    child.once('error', (err) => {
      this.output += `\nspawn failed: ${err.message}`;
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!this.output.includes('Ready to accept connections')) {
      if (exited(child)) throw new Error(`redis-server exited during startup (code ${child.exitCode}):\n${this.output}`);
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        await waitForExit(child, STOP_TIMEOUT_MS);
        throw new Error(`redis-server was not ready within ${READY_TIMEOUT_MS} ms:\n${this.output}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Once up, a forgotten server must not keep the test process alive; the exit hook reaps it.
    child.unref();
    (child.stdout as { unref?: () => void } | null)?.unref?.();
    (child.stderr as { unref?: () => void } | null)?.unref?.();
  }

  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    // A paused server cannot act on SIGTERM.
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
      child.kill('SIGKILL');
      await waitForExit(child, STOP_TIMEOUT_MS);
    }
  }

  async destroy(): Promise<void> {
    await this.stop();
    await rm(this.dir, { recursive: true, force: true });
    live.delete(this);
  }

  abandon(): void {
    this.child?.kill('SIGKILL');
  }
}

/** A fresh redis-server on 127.0.0.1 and a free port. */
export async function startRedis(): Promise<RedisServer> {
  if (!existsSync(REDIS_SERVER)) throw new Error(redisSkipReason() ?? `${REDIS_SERVER} not found`);
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-redis-'));
  const server = new LocalRedis(await freePort(), dir);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const s of live) s.abandon();
    });
  }
  live.add(server);
  try {
    await server.start();
    return server;
  } catch (err) {
    await server.destroy();
    throw err;
  }
}
