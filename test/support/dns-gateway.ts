// Gateways that publish themselves in DNS, run as users run them: `gatehouse serve` child processes on a seeded PGlite copy.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import YAML from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { createDataSources } from '../../src/db/sources.js';
import { seedErp } from '../../src/demo/erp-schema.js';
import { ERP_SPEC, projectRoot } from './project.js';
import { freePort, waitForExit, waitForReady } from './processes.js';

export interface ServedGateway {
  readonly url: string;
  readonly port: number;
  readonly configFile: string;
  /** The JSON log lines the gateway wrote so far. */
  logs(): Array<Record<string, unknown>>;
  /** Sends `signal` and resolves with the exit code once the process is gone. */
  kill(signal: NodeJS.Signals): Promise<number | null>;
  /** Kills the process if still running and removes its directory. */
  destroy(): Promise<void>;
}

let template: Promise<string> | undefined;

/** A PGlite data directory with the ERP schema (seeded once per test process, at a small scale). */
function erpTemplate(): Promise<string> {
  template ??= (async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-dns-erp-'));
    const config = loadConfig({
      raw: { spec: ERP_SPEC, sources: { erp: { client: 'pglite', connection: dir } } },
      env: {},
      baseDir: projectRoot,
    });
    const sources = createDataSources(config.sources);
    try {
      await seedErp(sources.get('erp')!.db, { scale: 0.02 });
    } finally {
      await sources.destroy();
    }
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    return dir;
  })();
  return template;
}

/** Starts `gatehouse serve` with the given `discovery:` section; resolves once /readyz answers 200. */
export async function serveGateway(discovery: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<ServedGateway> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-dns-gw-'));
  const data = path.join(dir, 'erp');
  // PGlite holds its directory exclusively: every replica gets its own copy.
  await cp(await erpTemplate(), data, { recursive: true });
  const port = await freePort();
  const configFile = path.join(dir, 'gatehouse.yaml');
  await writeFile(
    configFile,
    YAML.stringify({
      server: { host: '127.0.0.1', port, shutdownGraceMs: 2000 },
      spec: ERP_SPEC,
      sources: { erp: { client: 'pglite', connection: data } },
      auth: { disabled: true },
      rateLimit: { enabled: false },
      log: { level: 'info', requests: false },
      discovery,
      ...extra,
    }),
  );
  // The runner's own GATEHOUSE_TEST_* variables would read as configuration overrides.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'serve', '--config', configFile], {
    cwd: projectRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const destroy = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await waitForExit(child, 10_000);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForReady(url, child);
  } catch (err) {
    await destroy();
    throw new Error(`${(err as Error).message}\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`, { cause: err });
  }
  return {
    url,
    port,
    configFile,
    logs: () =>
      stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    async kill(signal) {
      child.kill(signal);
      await waitForExit(child, 30_000);
      return child.exitCode;
    },
    destroy,
  };
}

/** Polls `check` until it returns true; fails with `what` after `timeoutMs`. */
export async function eventually(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    await sleep(200);
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms${lastError ? ` (last error: ${String(lastError)})` : ''}`);
}
