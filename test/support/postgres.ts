// Throwaway PostgreSQL servers for tests: locating binaries, initdb, start/stop/kill -9/restart, databases.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, escapeIdentifier } from 'pg';
import { childPids, freePort, waitForExit } from './processes.js';

export interface PgServer {
  port: number;
  host: '127.0.0.1';
  user: string;
  dataDir: string;
  url(database?: string): string;
  /** Fast shutdown (SIGINT); waits until the postmaster has exited. */
  stop(): Promise<void>;
  /**
   * SIGKILL the postmaster and all its backends, as in a crash; waits until they are gone.
   * By default the server runs with synchronous_commit=off, so commits from the last few hundred ms may be
   * lost like in a real crash: write data that must survive with `SET synchronous_commit = on`, or start it durable.
   */
  kill9(): Promise<void>;
  /** (Re)start on the same port and data dir after stop() or kill9(); resolves once it accepts queries. */
  start(): Promise<void>;
  /** stop() and delete the data dir. */
  destroy(): Promise<void>;
}

const PG_ROOT = '/usr/lib/postgresql';
const REQUIRED_BINARIES = ['initdb', 'postgres', 'pg_ctl'] as const;
const SUPERUSER = 'gatehouse';
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 30_000;
const STDERR_TAIL_CHARS = 16_000;

/** Highest-versioned Debian PostgreSQL bin dir with everything we run, or why there is none. */
export function findPostgresBin(): { binDir: string } | { missing: string } {
  if (!existsSync(PG_ROOT)) {
    return { missing: `PostgreSQL server binaries not found: ${PG_ROOT} does not exist (Debian package postgresql-15 is not installed)` };
  }
  const versions = readdirSync(PG_ROOT)
    .filter((v) => /^\d+(\.\d+)*$/.test(v))
    .sort((a, b) => b.localeCompare(a, 'en', { numeric: true }));
  const problems: string[] = [];
  for (const version of versions) {
    const binDir = join(PG_ROOT, version, 'bin');
    const absent = REQUIRED_BINARIES.filter((name) => !existsSync(join(binDir, name)));
    if (absent.length === 0) return { binDir };
    problems.push(`${binDir} lacks ${absent.join(', ')}`);
  }
  if (problems.length === 0) {
    return { missing: `PostgreSQL server binaries not found: ${PG_ROOT} has no version directories (Debian package postgresql-15 is not installed)` };
  }
  return { missing: `PostgreSQL server binaries incomplete: ${problems.join('; ')}` };
}

/** initdb and postgres refuse to run as root, so when we are root the children run as nobody. */
function childIdentity(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === 'nobody');
  const uid = Number(entry?.[2]);
  const gid = Number(entry?.[3]);
  return { uid: Number.isInteger(uid) ? uid : 65534, gid: Number.isInteger(gid) ? gid : 65534 };
}

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], ...childIdentity() });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

async function initCluster(binDir: string, dataDir: string, durable: boolean): Promise<void> {
  // --no-sync: a disposable cluster's durability is only wasted time.
  const base = ['-D', dataDir, '-U', SUPERUSER, '--auth=trust', '-E', 'UTF8', ...(durable ? [] : ['--no-sync'])];
  const first = await run(join(binDir, 'initdb'), [...base, '--locale=C.UTF-8'], dataDir);
  if (first.code === 0) return;
  // Some systems lack the C.UTF-8 locale; initdb empties the directory it failed in, so retry in place.
  const second = await run(join(binDir, 'initdb'), [...base, '--no-locale'], dataDir);
  if (second.code === 0) return;
  throw new Error(`initdb failed with --locale=C.UTF-8:\n${first.output}\nand with --no-locale:\n${second.output}`);
}

function processState(pid: number): string | undefined {
  try {
    // Field 3 of /proc/<pid>/stat, after the parenthesised command name (which may contain spaces).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

// Servers not destroyed by the time this process exits get an immediate shutdown (SIGQUIT) rather
// than outliving us, and their data dirs are removed on a best-effort basis.
const live = new Set<LocalPostgres>();
let exitHookInstalled = false;
function track(server: LocalPostgres): void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const s of live) s.abandon();
    });
  }
  live.add(server);
}

class LocalPostgres implements PgServer {
  readonly host = '127.0.0.1' as const;
  readonly user = SUPERUSER;
  private child: ChildProcess | undefined;
  private stderrTail = '';

  constructor(
    private readonly binDir: string,
    readonly dataDir: string,
    readonly port: number,
    private readonly settings: Readonly<Record<string, string>> = {},
  ) {}

  url(database = 'postgres'): string {
    return `postgres://${this.user}@${this.host}:${this.port}/${encodeURIComponent(database)}`;
  }

  async start(): Promise<void> {
    if (this.child) return;
    this.stderrTail = '';
    const args = [
      '-D', this.dataDir,
      '-p', String(this.port),
      // The socket lives in the data dir so no shared /var/run directory (and its permissions) is involved.
      '-k', this.dataDir,
      '-c', 'listen_addresses=127.0.0.1',
      // Test data is disposable: trade crash safety for speed.
      '-c', 'fsync=off',
      '-c', 'synchronous_commit=off',
      '-c', 'full_page_writes=off',
      '-c', 'max_connections=200',
      // Later -c options win: a caller may ask for durable commits (fsync=on, synchronous_commit=on) and the like.
      ...Object.entries(this.settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    ];
    // detached = own process group: a terminal Ctrl-C reaches only the test runner, which stops the
    // tests first and the server after, instead of the server dying under running tests.
    const child = spawn(join(this.binDir, 'postgres'), args, {
      cwd: this.dataDir,
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
      ...childIdentity(),
    });
    this.child = child;
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-STDERR_TAIL_CHARS);
    });
    child.once('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    child.once('error', (err) => {
      this.stderrTail += `\nspawn failed: ${err.message}`;
    });
    await this.waitUntilReady(child);
    // Once up, a forgotten server must not keep the test process alive; the exit hook reaps it.
    child.unref();
    (child.stderr as { unref?: () => void } | null)?.unref?.();
  }

  private async waitUntilReady(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let lastError = 'not tried';
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
        throw new Error(`postgres exited during startup (code ${child.exitCode}, signal ${child.signalCode}):\n${this.stderrTail}`);
      }
      const client = new Client({ connectionString: this.url(), connectionTimeoutMillis: 2_000 });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.query('select 1');
        return;
      } catch (err) {
        lastError = (err as Error).message;
      } finally {
        await client.end().catch(() => {});
      }
      // Often: start() resolving is how tests time "the store accepts connections again".
      await sleep(25);
    }
    child.kill('SIGKILL');
    await waitForExit(child, STOP_TIMEOUT_MS);
    throw new Error(`postgres did not accept connections within ${READY_TIMEOUT_MS} ms (last error: ${lastError}):\n${this.stderrTail}`);
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    child.kill('SIGINT');
    if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
      child.kill('SIGKILL');
      await waitForExit(child, STOP_TIMEOUT_MS);
    }
  }

  async kill9(): Promise<void> {
    const child = this.child;
    if (!child?.pid) return;
    // Backends call setsid(), so there is no process group to signal: freeze the postmaster so it
    // cannot fork more, then kill it and every backend it had.
    child.kill('SIGSTOP');
    const backends = childPids(child.pid);
    child.kill('SIGKILL');
    for (const pid of backends) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
    await waitForExit(child, STOP_TIMEOUT_MS);
    // Orphans are reaped by init (or nobody, in some containers): a zombie counts as gone.
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    while (backends.some((pid) => (processState(pid) ?? 'Z') !== 'Z') && Date.now() < deadline) await sleep(20);
    // With the whole server dead the lock file is stale; removing it avoids a refusal if its pid was reused.
    await rm(join(this.dataDir, 'postmaster.pid'), { force: true });
  }

  async destroy(): Promise<void> {
    await this.stop();
    await rm(this.dataDir, { recursive: true, force: true });
    live.delete(this);
  }

  /** Synchronous last resort for the process 'exit' hook, where nothing can be awaited. */
  abandon(): void {
    this.child?.kill('SIGQUIT');
    rmSync(this.dataDir, { recursive: true, force: true, maxRetries: 3 });
  }
}

/** What a production server runs with: a commit is acknowledged once its WAL is flushed, and torn pages are recoverable. */
export const DURABLE_SETTINGS: Readonly<Record<string, string>> = { fsync: 'on', synchronous_commit: 'on', full_page_writes: 'on' };

export interface StartPostgresOptions {
  port?: number;
  /**
   * Durable commits (DURABLE_SETTINGS, and an initdb that syncs its files) instead of the disposable defaults, for
   * figures that must hold on a real store: commit latency includes the flush. `settings` still apply over them.
   */
  durable?: boolean;
  /** Server settings (`-c name=value`) applied over the disposable defaults above, e.g. `{ fsync: 'on' }`. */
  settings?: Readonly<Record<string, string>>;
}

/** initdb a fresh cluster in a temp dir and start it on a free (or the given) port. */
export async function startPostgres(opts: StartPostgresOptions = {}): Promise<PgServer> {
  const found = findPostgresBin();
  if ('missing' in found) throw new Error(found.missing);
  const dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-pg-'));
  let server: LocalPostgres | undefined;
  try {
    const identity = childIdentity();
    if (identity) await chown(dataDir, identity.uid, identity.gid);
    const durable = opts.durable ?? false;
    await initCluster(found.binDir, dataDir, durable);
    const settings = { ...(durable ? DURABLE_SETTINGS : {}), ...opts.settings };
    server = new LocalPostgres(found.binDir, dataDir, opts.port ?? (await freePort()), settings);
    track(server);
    await server.start();
    return server;
  } catch (err) {
    await (server ? server.destroy() : rm(dataDir, { recursive: true, force: true }));
    throw err;
  }
}

/** Drop (forcibly, disconnecting users) and recreate `name`; returns its URL. */
export async function createDatabase(server: PgServer | string, name: string): Promise<string> {
  const adminUrl = typeof server === 'string' ? server : server.url('postgres');
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${escapeIdentifier(name)} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${escapeIdentifier(name)}`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${encodeURIComponent(name)}`;
  return url.toString();
}
