// The SQL Server endpoint scripts/test.ts provides (Babelfish, or the real server MSSQL_URL names), as seen from a test.
import { randomBytes } from 'node:crypto';
import knex, { type Knex } from 'knex';
import { createMssqlDialect } from '../../src/db/dialects/mssql/index.js';
import type { SourceConfig } from '../../src/config/types.js';
import { refuseInUnitRun } from './unit-run.js';

export type MssqlKind = 'babelfish' | 'sqlserver';

/** Admin URL of the endpoint and what it is, or the exact reason suites must skip. */
export function testMssql(): { adminUrl: string; kind: MssqlKind } | { skip: string } {
  refuseInUnitRun('SQL Server');
  const adminUrl = process.env.GATEHOUSE_TEST_MSSQL_URL;
  if (adminUrl) return { adminUrl, kind: process.env.GATEHOUSE_TEST_MSSQL_KIND === 'sqlserver' ? 'sqlserver' : 'babelfish' };
  return {
    skip:
      process.env.GATEHOUSE_TEST_MSSQL_SKIP ||
      'GATEHOUSE_TEST_MSSQL_URL is not set: run tests with `npm test`, which starts a TDS endpoint (Babelfish) for them',
  };
}

/** A knex on the SQL Server endpoint through the product's own dialect (how the gateway itself connects). */
export function mssqlKnex(url: string, options: Partial<SourceConfig> = {}): Knex {
  const source: SourceConfig = {
    client: 'mssql',
    connection: url,
    pool: { min: 0, max: 4, acquireTimeoutMs: 10_000 },
    statementTimeoutMs: 30_000,
    readOnly: false,
    defaultSchema: undefined,
    ...options,
  };
  return knex(createMssqlDialect('test').knexConfig(source));
}

/** The URL with another database. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

/** Drops (when present) and creates a database on the endpoint; returns its URL. */
export async function createMssqlDatabase(adminUrl: string, name: string): Promise<string> {
  if (!/^[A-Za-z0-9_]+$/.test(name)) throw new Error(`database name ${name} must be letters, digits and underscores`);
  const admin = mssqlKnex(adminUrl);
  try {
    await admin.raw(`IF DB_ID('${name}') IS NOT NULL DROP DATABASE [${name}]`);
    await admin.raw(`CREATE DATABASE [${name}]`);
  } finally {
    await admin.destroy();
  }
  return withDatabase(adminUrl, name);
}

/** A new, empty, uniquely named database on the endpoint. */
export async function freshMssqlDatabase(prefix: string): Promise<string> {
  const env = testMssql();
  if ('skip' in env) throw new Error(`freshMssqlDatabase(${JSON.stringify(prefix)}): ${env.skip}`);
  const safe = prefix.toLowerCase().replace(/[^a-z0-9_]+/g, '_').slice(0, 40);
  return createMssqlDatabase(env.adminUrl, `${safe}_${randomBytes(4).toString('hex')}`);
}
