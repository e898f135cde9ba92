// Runs the knex migrations in the package's migrations/ folder, from src/ (tsx) and from dist/ alike.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Knex } from 'knex';
import { packageRoot } from '../util/package-root.js';

export interface MigrationResult {
  /** Batch number knex gave this run (0 when nothing was pending). */
  readonly batch: number;
  readonly applied: readonly string[];
}

interface MigrationModule {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** Plain .js files at the package root: the same files serve the sources and the build, with no compile step. */
export function migrationsDirectory(): string {
  return path.join(packageRoot(), 'migrations');
}

export function migrationSource(dir = migrationsDirectory()): Knex.MigrationSource<string> {
  return {
    getMigrations: async () =>
      readdirSync(dir)
        .filter((f) => /^\d+_[a-z0-9_-]+\.js$/i.test(f))
        .sort(),
    getMigrationName: (file) => file,
    getMigration: async (file) => (await import(pathToFileURL(path.join(dir, file)).href)) as MigrationModule,
  };
}

export async function runMigrations(db: Knex, dir?: string): Promise<MigrationResult> {
  const [batch, applied] = (await db.migrate.latest({
    migrationSource: migrationSource(dir),
    tableName: 'gatehouse_migrations',
  })) as [number, string[]];
  return { batch, applied };
}

export async function pendingMigrations(db: Knex, dir?: string): Promise<string[]> {
  const [, pending] = (await db.migrate.list({
    migrationSource: migrationSource(dir),
    tableName: 'gatehouse_migrations',
  })) as [unknown[], Array<string | { file: string }>];
  return pending.map((p) => (typeof p === 'string' ? p : p.file));
}
