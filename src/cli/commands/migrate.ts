// `gatehouse migrate`: apply the gateway's own store migrations (audit log tables) and say what ran.
import type { Command } from 'commander';
import { createStore } from '../../store/create-store.js';
import { pendingMigrations } from '../../store/migrations.js';
import { configOption, loadCliConfig } from '../cli-config.js';
import { run, UsageError } from '../run-command.js';

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .description("apply pending migrations to the gateway's own store (store: in the configuration)")
    .addOption(configOption())
    .option('--status', 'list pending migrations without applying them')
    .action(async (opts: { config: string; status?: boolean }) => {
      await run(async () => {
        const config = loadCliConfig(opts.config);
        if (!config.store) throw new UsageError(`${opts.config} has no store: section`);
        const store = createStore(config.store);
        try {
          if (opts.status) {
            const pending = await pendingMigrations(store.db);
            process.stdout.write(pending.length === 0 ? 'up to date\n' : `pending:\n${pending.map((p) => `  ${p}\n`).join('')}`);
            return;
          }
          const result = await store.migrate();
          process.stdout.write(
            result.applied.length === 0
              ? 'up to date\n'
              : `applied (batch ${result.batch}):\n${result.applied.map((a) => `  ${a}\n`).join('')}`,
          );
        } finally {
          await store.destroy();
        }
      });
    });
}
