// A throwaway TDS endpoint for the SQL Server suites: Babelfish for PostgreSQL from ../shared/tools/babelfish, unpacked
// by its install.sh and started by its start.sh on free loopback ports; databases created per suite.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from './processes.js';
import { projectRoot } from './project.js';

const USER = 'babelfish_user';
const PASSWORD = '12345678';

export interface TdsServer {
  readonly port: number;
  /** `mssql://…/master?…`: the login the suites create their databases with. */
  readonly adminUrl: string;
  destroy(): Promise<void>;
}

/** The folder holding install.sh and start.sh, or why there is none. */
export function babelfishTools(): { dir: string } | { missing: string } {
  const dir = process.env.GATEHOUSE_BABELFISH_TOOLS || resolve(projectRoot, '..', 'shared', 'tools', 'babelfish');
  if (!existsSync(join(dir, 'install.sh')) || !existsSync(join(dir, 'start.sh'))) {
    return { missing: `Babelfish (a TDS endpoint for the SQL Server suites) not found: ${dir} has no install.sh / start.sh` };
  }
  return { dir };
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; stdout: string; output: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    let stdout = '';
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, output }));
  });
}

const tail = (text: string): string => text.trimEnd().split('\n').slice(-20).join('\n');

/** Unpacks Babelfish (and apt-installs its runtime libraries) once; returns its install prefix. */
export async function installBabelfish(dir: string): Promise<string> {
  const result = await run(join(dir, 'install.sh'), []);
  const prefix = result.stdout.trim().split('\n').at(-1) ?? '';
  if (result.code !== 0 || prefix === '') throw new Error(`babelfish install.sh failed (exit ${result.code}):\n${tail(result.output)}`);
  return prefix;
}

/** initdb (as nobody when root) and start a server; about ten seconds on a fresh data directory. */
export async function startBabelfish(dir: string, prefix: string): Promise<TdsServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gatehouse-tds-'));
  const [tdsPort, pgPort] = [await freePort(), await freePort()];
  const env = { ...process.env, PREFIX: prefix, BBF_USER: USER, BBF_PASSWORD: PASSWORD };
  const started = await run(join(dir, 'start.sh'), [dataDir, String(tdsPort), String(pgPort)], env);
  const destroy = async (): Promise<void> => {
    await run(join(dir, 'start.sh'), ['--stop', dataDir], env).catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
    await rm(`${dataDir}.initdb.log`, { force: true });
  };
  if (started.code !== 0) {
    await destroy();
    throw new Error(`babelfish start.sh failed (exit ${started.code}):\n${tail(started.output)}`);
  }
  return { port: tdsPort, adminUrl: mssqlUrl(tdsPort, 'master'), destroy };
}

export function mssqlUrl(port: number, database: string, host = '127.0.0.1'): string {
  return `mssql://${USER}:${PASSWORD}@${host}:${port}/${encodeURIComponent(database)}?encrypt=false&trustServerCertificate=true`;
}
