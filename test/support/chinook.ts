// The Chinook sample database (shared datasets folder): where it is, why it's absent, loading it into PostgreSQL.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { createDatabase } from './postgres.js';
import { refuseInUnitRun } from './unit-run.js';
import { projectRoot } from './project.js';

const SQL_FILE = 'Chinook_PostgreSql.sql';

function expectedDir(): string {
  const datasets = process.env.GATEHOUSE_DATASETS || join(projectRoot, '..', 'shared', 'datasets');
  return resolve(datasets, 'chinook');
}

/** The chinook folder if it exists. */
export function chinookDir(): string | undefined {
  const dir = expectedDir();
  return existsSync(dir) ? dir : undefined;
}

/** Why Chinook can't be loaded, or undefined if it can. */
export function chinookSkipReason(): string | undefined {
  refuseInUnitRun('The Chinook dataset');
  const dir = expectedDir();
  const source = process.env.GATEHOUSE_DATASETS ? 'GATEHOUSE_DATASETS' : 'the default ../shared/datasets';
  if (!existsSync(dir)) return `Chinook dataset folder ${dir} does not exist (from ${source})`;
  if (!existsSync(join(dir, SQL_FILE))) return `Chinook dataset file ${join(dir, SQL_FILE)} does not exist`;
  return undefined;
}

/**
 * The script opens with `DROP DATABASE IF EXISTS chinook; CREATE DATABASE chinook; \c chinook;`.
 * We load into a database we created ourselves (under any name), so those lines must go.
 */
function stripDatabaseSwitching(sql: string): string {
  return sql
    .replace(/^\uFEFF/, '')
    // One line each: the banner comments above them say "Drop database ..." too.
    .replace(/^[ \t]*(DROP|CREATE)[ \t]+DATABASE\b[^;\n]*;[ \t]*\r?$/gim, '')
    .replace(/^[ \t]*\\c(onnect)?\b.*$/gm, '');
}

// psql quotes the failing statement, which for this script can be the rest of the file.
function abbreviate(text: string, max = 3_000): string {
  return text.length <= max ? text : `${text.slice(0, max / 2)}\n[... ${text.length - max} characters ...]\n${text.slice(-max / 2)}`;
}

function runPsql(url: string, sql: string): Promise<'missing' | void> {
  const psql = process.env.GATEHOUSE_TEST_PG_BIN ? join(process.env.GATEHOUSE_TEST_PG_BIN, 'psql') : 'psql';
  return new Promise((resolvePromise, reject) => {
    // -X: a developer's ~/.psqlrc must not change how the script runs.
    const child = spawn(psql, ['-X', '-v', 'ON_ERROR_STOP=1', '-q', '-f', '-', '-d', url], {
      env: { ...process.env, PGCLIENTENCODING: 'UTF8' },
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? resolvePromise('missing') : reject(err)));
    // After a spawn 'error' the promise is already settled, so this rejection is then a no-op.
    child.on('close', (code, signal) => {
      if (code === 0) resolvePromise();
      else reject(new Error(`psql failed loading ${SQL_FILE} (exit ${code ?? signal}):\n${abbreviate(stderr)}`));
    });
    // EPIPE if psql dies early; its exit status above carries the real error.
    child.stdin.on('error', () => {});
    child.stdin.end(sql);
  });
}

/** Load Chinook into a freshly (re)created `database` on the server at `adminUrl`; returns its URL. */
export async function loadChinook(adminUrl: string, database = 'chinook'): Promise<string> {
  const reason = chinookSkipReason();
  if (reason) throw new Error(reason);
  const sql = stripDatabaseSwitching(await readFile(join(expectedDir(), SQL_FILE), 'utf8'));
  const url = await createDatabase(adminUrl, database);
  if ((await runPsql(url, sql)) === 'missing') {
    // No psql: the simple-query protocol accepts the whole script as one multi-statement query.
    const client = new Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }
  return url;
}

const MSSQL_SQL_FILE = 'Chinook_SqlServer.sql';

/** Why the SQL Server edition of Chinook can't be loaded, or undefined if it can. */
export function chinookMssqlSkipReason(): string | undefined {
  const reason = chinookSkipReason();
  if (reason) return reason;
  const file = join(expectedDir(), MSSQL_SQL_FILE);
  return existsSync(file) ? undefined : `Chinook dataset file ${file} does not exist`;
}

/**
 * The script's batches (split on GO), without its database switching: it drops, recreates and USEs [Chinook]
 * (the drop through ALTER DATABASE … SET OFFLINE, which Babelfish refuses); we load into a database of our own.
 */
export async function chinookMssqlBatches(): Promise<string[]> {
  const sql = (await readFile(join(expectedDir(), MSSQL_SQL_FILE), 'utf8')).replace(/^\uFEFF/, '');
  return sql
    .split(/^\s*GO\s*$/im)
    .map((batch) => batch.trim())
    .filter((batch) => batch !== '' && !/\b(CREATE|DROP|ALTER)\s+DATABASE\b|^\s*USE\s/im.test(batch.replace(/\/\*[\s\S]*?\*\//g, '')));
}
