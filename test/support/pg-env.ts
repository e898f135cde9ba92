// The shared PostgreSQL server that scripts/test.ts starts, as seen from inside a test file.
import { randomBytes } from 'node:crypto';
import { createDatabase } from './postgres.js';
import { refuseInUnitRun } from './unit-run.js';

/** Admin URL of the runner's server, or the exact reason suites must skip. */
export function testPostgres(): { adminUrl: string } | { skip: string } {
  refuseInUnitRun('PostgreSQL');
  const adminUrl = process.env.GATEHOUSE_TEST_PG_URL;
  if (adminUrl) return { adminUrl };
  return {
    skip:
      process.env.GATEHOUSE_TEST_PG_SKIP ||
      'GATEHOUSE_TEST_PG_URL is not set: run tests with `npm test`, which starts PostgreSQL for them',
  };
}

/** A new, empty, uniquely named database on the shared server; returns its URL. */
export async function freshDatabase(prefix: string): Promise<string> {
  const pg = testPostgres();
  if ('skip' in pg) throw new Error(`freshDatabase(${JSON.stringify(prefix)}): ${pg.skip}`);
  const safePrefix = prefix.toLowerCase().replace(/[^a-z0-9_]+/g, '_').slice(0, 48);
  return createDatabase(pg.adminUrl, `${safePrefix}_${randomBytes(6).toString('hex')}`);
}
