// The one test command: provisions PostgreSQL (and Redis, BIND, a SQL Server TDS endpoint), runs test/**/*.test.ts
// with node:test, and cleans up. With --unit (`npm run test:unit`) it provisions nothing and runs only UNIT_SUITES.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, constants } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { babelfishTools, installBabelfish, startBabelfish, type TdsServer } from '../test/support/babelfish.js';
import { ensureBind } from '../test/support/bind.js';
import { ensureDebianPackage } from '../test/support/debian.js';
import { findPostgresBin, startPostgres, type PgServer } from '../test/support/postgres.js';
import { ensureRedisServer } from '../test/support/redis.js';
import { ensureChromium } from '../test/support/chromium.js';
import { UNIT_RUN_ENV } from '../test/support/unit-run.js';
import { UNIT_SUITES } from './unit-suites.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const inCI = process.env.CI === 'true';

function testFiles(filters: string[]): string[] {
  const all = readdirSync(join(root, 'test'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.test.ts') && !file.split(/[\\/]/).includes('node_modules'))
    .map((file) => join('test', file))
    .sort();
  return filters.length === 0 ? all : all.filter((file) => filters.some((f) => file.includes(f)));
}

/** Whether any selected suite talks to SQL Server (starting Babelfish costs about ten seconds). */
function testsNeedMssql(files: readonly string[]): boolean {
  return files.some((file) => /backends\(|mssql/i.test(readFileSync(join(root, file), 'utf8')));
}

function fail(message: string): never {
  console.error(`test: ${message}`);
  process.exit(1);
}

/** Returns the bin dir, or records why database suites must skip (fatal in CI, where nothing may be skipped silently). */
function ensurePostgres(): string | undefined {
  const found = findPostgresBin();
  if ('binDir' in found) return found.binDir;
  const installed = ensureDebianPackage(() => 'binDir' in findPostgresBin(), 'postgresql-15');
  const after = findPostgresBin();
  if ('binDir' in after) return after.binDir;
  const reason = installed.ok ? after.missing : installed.reason;
  if (inCI) fail(`PostgreSQL is required under CI=true: ${reason}`);
  process.env.GATEHOUSE_TEST_PG_SKIP = reason;
  console.log(`test: PostgreSQL unavailable, database tests will skip: ${reason.split('\n')[0]}`);
  return undefined;
}

/** Redis suites start their own servers; this only makes sure redis-server is there (fatal in CI when it cannot be). */
function ensureRedis(): void {
  const installed = ensureRedisServer();
  if (installed.ok) return;
  if (inCI) fail(`redis-server is required under CI=true: ${installed.reason}`);
  process.env.GATEHOUSE_TEST_REDIS_SKIP = installed.reason;
  console.log(`test: redis-server unavailable, Redis tests will skip: ${installed.reason.split('\n')[0]}`);
}

/**
 * The SQL Server suites' endpoint: the real server MSSQL_URL names, else Babelfish (T-SQL over TDS on PostgreSQL)
 * from the shared tools, started here like PostgreSQL. Fatal in CI when neither can be had.
 */
async function ensureMssql(): Promise<TdsServer | undefined> {
  const real = process.env.MSSQL_URL;
  if (real) {
    process.env.GATEHOUSE_TEST_MSSQL_URL = real;
    process.env.GATEHOUSE_TEST_MSSQL_KIND = 'sqlserver';
    console.log('test: SQL Server suites run against MSSQL_URL');
    return undefined;
  }
  const unavailable = (reason: string): undefined => {
    if (inCI) fail(`a SQL Server endpoint is required under CI=true: ${reason}`);
    process.env.GATEHOUSE_TEST_MSSQL_SKIP = reason;
    console.log(`test: no SQL Server endpoint, SQL Server tests will skip: ${reason.split('\n')[0]}`);
    return undefined;
  };
  const tools = babelfishTools();
  if ('missing' in tools) return unavailable(tools.missing);
  try {
    const server = await startBabelfish(tools.dir, await installBabelfish(tools.dir));
    process.env.GATEHOUSE_TEST_MSSQL_URL = server.adminUrl;
    process.env.GATEHOUSE_TEST_MSSQL_KIND = 'babelfish';
    console.log(`test: Babelfish (TDS) on 127.0.0.1:${server.port}`);
    return server;
  } catch (err) {
    return unavailable(`could not start Babelfish: ${(err as Error).message}`);
  }
}

/** DNS suites start their own named servers; this only makes sure bind9 and bind9-dnsutils are there (fatal in CI when they cannot be). */
function ensureBindServer(): void {
  const installed = ensureBind();
  if (installed.ok) return;
  if (inCI) fail(`BIND 9 is required under CI=true: ${installed.reason}`);
  process.env.GATEHOUSE_TEST_BIND_SKIP = installed.reason;
  console.log(`test: BIND 9 unavailable, DNS tests will skip: ${installed.reason.split('\n')[0]}`);
}

/** Page tests drive Debian's chromium; installed like redis-server (fatal in CI when it cannot be). */
function ensureBrowser(): void {
  const installed = ensureChromium();
  if (installed.ok) return;
  if (inCI) fail(`chromium is required under CI=true: ${installed.reason}`);
  process.env.GATEHOUSE_TEST_CHROMIUM_SKIP = installed.reason;
  console.log(`test: chromium unavailable, browser tests will skip: ${installed.reason.split('\n')[0]}`);
}

function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 15);
}

/** Spawns node's test runner on `files` and resolves with its exit code (killed by `signal` when one arrives). */
function runNodeTest(files: readonly string[], options: { concurrency: number; env: NodeJS.ProcessEnv }, started: (child: ChildProcess) => void): Promise<number> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-reporter=spec', `--test-concurrency=${options.concurrency}`, ...files],
    { cwd: root, stdio: 'inherit', env: options.env },
  );
  started(child);
  return new Promise<number>((resolveCode) => {
    child.on('error', (err) => {
      console.error(`test: could not run node --test: ${err.message}`);
      resolveCode(1);
    });
    child.on('exit', (exitCode, signal) => resolveCode(exitCode ?? signalExitCode(signal ?? 'SIGTERM')));
  });
}

/**
 * The unit suites alone: nothing provisioned, files in parallel (they share no server). The support modules refuse
 * (rather than skip) when a unit suite asks for PostgreSQL, Redis or another server, so the list cannot rot quietly.
 */
async function runUnit(filters: string[]): Promise<never> {
  const files = filters.length === 0 ? [...UNIT_SUITES] : UNIT_SUITES.filter((file) => filters.some((f) => file.includes(f)));
  if (files.length === 0) fail(`no unit suites match ${JSON.stringify(filters)}`);
  const missing = files.filter((file) => !testFiles([]).includes(file));
  if (missing.length > 0) fail(`scripts/unit-suites.ts names files that do not exist: ${missing.join(', ')}`);
  const env: NodeJS.ProcessEnv = { ...process.env, [UNIT_RUN_ENV]: '1' };
  for (const name of ['GATEHOUSE_TEST_PG_URL', 'GATEHOUSE_TEST_MSSQL_URL']) delete env[name];
  let child: ChildProcess | undefined;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child?.kill(signal));
  const code = await runNodeTest(files, { concurrency: Math.max(2, availableParallelism()), env }, (c) => (child = c));
  process.exit(code);
}

async function main(): Promise<void> {
  if (process.argv[2] === '--unit') await runUnit(process.argv.slice(3));
  const files = testFiles(process.argv.slice(2));
  if (files.length === 0) fail(`no test files match ${JSON.stringify(process.argv.slice(2))}`);

  let server: PgServer | undefined;
  let tds: TdsServer | undefined;
  // Set once the test runner is spawned; the signal handlers need to see it.
  const tests: { child?: ChildProcess } = {};
  let signalled: NodeJS.Signals | undefined;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (signalled) return;
      signalled = signal;
      // With tests running, the normal path below cleans up once the child exits.
      if (tests.child) tests.child.kill(signal);
      else
        void Promise.all([server?.destroy(), tds?.destroy()].map((p) => p?.catch(() => undefined))).finally(() =>
          process.exit(signalExitCode(signal)),
        );
    });
  }

  const binDir = ensurePostgres();
  ensureRedis();
  ensureBindServer();
  ensureBrowser();
  if (binDir) {
    try {
      server = await startPostgres();
    } catch (err) {
      fail(`could not start PostgreSQL: ${(err as Error).message}`);
    }
    process.env.GATEHOUSE_TEST_PG_URL = server.url('postgres');
    process.env.GATEHOUSE_TEST_PG_BIN = binDir;
    console.log(`test: PostgreSQL from ${binDir} at ${server.url('postgres')}`);
  }
  if (signalled) return;
  if (testsNeedMssql(files)) tds = await ensureMssql();
  if (signalled) return;

  // Concurrency 1: suites share one server, and fault-injection tests must not surprise each other.
  const code = await runNodeTest(files, { concurrency: 1, env: process.env }, (child) => (tests.child = child));

  // Quietly: the runner's summary must stay the last thing printed.
  await Promise.all([server?.destroy().catch(() => {}), tds?.destroy().catch(() => {})]);
  process.exit(signalled ? signalExitCode(signalled) : code);
}

await main();
