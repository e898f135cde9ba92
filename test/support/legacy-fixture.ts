// The legacy fixture (test/fixtures/legacy-schema.sql) for init / check tests: loading it into any PostgreSQL or PGlite.
import { readFile } from 'node:fs/promises';
import type { Knex } from 'knex';

export const LEGACY_SQL = new URL('../fixtures/legacy-schema.sql', import.meta.url);

/** Runs the fixture one statement at a time: PGlite's extended protocol takes a single statement per call. */
export async function loadLegacyFixture(db: Knex): Promise<void> {
  const text = await readFile(LEGACY_SQL, 'utf8');
  const statements = text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  for (const sql of statements) await db.raw(sql.replaceAll('?', '\\?'));
}
