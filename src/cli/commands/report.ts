// `gatehouse report migration`: the migration-candidate report, from the store and sources of a configuration.
import { writeFile } from 'node:fs/promises';
import cliProgress from 'cli-progress';
import { Option, type Command } from 'commander';
import { createDataSources } from '../../db/sources.js';
import { AppError } from '../../errors/app-error.js';
import { loadSpecModel } from '../../openapi/load-spec.js';
import { buildMigrationReport, REPORT_STAGES } from '../../reports/build-report.js';
import { MIGRATION_REPORT_PATH, REPORT_FORMATS, renderReport, type ReportFormat } from '../../reports/report-format.js';
import { parseReportWindow } from '../../reports/report-window.js';
import { createStore } from '../../store/create-store.js';
import { configOption, loadCliConfig } from '../cli-config.js';
import { run, UsageError } from '../run-command.js';

interface MigrationOptions {
  config: string;
  url?: string;
  token?: string;
  since?: string;
  until?: string;
  source?: string;
  format: ReportFormat;
  out?: string;
  quiet?: boolean;
}

export function registerReport(program: Command): void {
  const report = program.command('report').description('reports built from the audit log');
  report
    .command('migration')
    .description('which tables to migrate, replicate, keep or retire, from how they are really used')
    .addOption(configOption())
    .option('--since <when>', 'start of the window: a duration back from --until (30d, 12h, 2w, 90m) or an ISO date (default: report.defaultSince)')
    .option('--until <when>', 'end of the window: an ISO date or a duration back from now (default: now)')
    .option('--source <name>', 'only the tables of this source')
    .option('--url <gateway>', 'ask a running gateway (GET /_gatehouse/reports/migration) instead of reading the store')
    .addOption(new Option('--token <jwt>', 'with --url: a bearer token with scope reports:read').env('GATEHOUSE_TOKEN'))
    .addOption(new Option('--format <format>', 'output format').choices([...REPORT_FORMATS]).default('json'))
    .option('-o, --out <file>', 'write here instead of stdout')
    .option('-q, --quiet', 'no progress bar')
    .action(async (opts: MigrationOptions) => {
      await run(async () => {
        if (opts.url !== undefined) {
          await fromGateway(opts.url, opts.token, opts);
          return;
        }
        const config = loadCliConfig(opts.config);
        if (!config.store) throw new UsageError(`${opts.config} has no store: section (the report reads the audit log kept there)`);
        const window = usage(() => parseReportWindow({ since: opts.since, until: opts.until }, config.report.defaultSince));
        const store = createStore(config.store);
        const sources = createDataSources(config.sources);
        const progress = progressBar(opts.quiet === true || !process.stderr.isTTY);
        try {
          const result = await usageAsync(() =>
            buildMigrationReport(
              // The contract loads while the store aggregates, without the OpenAPI schema check: the report reads only
              // its bindings and entity schemas.
              { store: store.db, sources, operations: async () => (await loadSpecModel(config.spec)).operations, config },
              // This process has the store to itself: up to four connections (as many as its pool holds), the row pass
              // beside the index-only aggregates.
              { window, source: opts.source, onStage: progress.update, storeConnections: 4 },
            ),
          );
          progress.stop();
          const text = renderReport(result, opts.format);
          if (opts.out) await writeFile(opts.out, text);
          else process.stdout.write(text);
          const s = result.summary.recommendations;
          if (!opts.quiet) {
            process.stderr.write(
              `${result.summary.tables} tables, ${result.summary.requests} requests: ${s.migrate} migrate, ${s.replicate} replicate, ${s.keep} keep, ${s.retire} retire` +
                `${result.empty ? ' (no request in the window)' : ''}${opts.out ? ` → ${opts.out}` : ''}\n`,
            );
          }
        } finally {
          progress.stop();
          await store.destroy();
          await sources.destroy();
        }
      });
    });
}

/** The same report from a running gateway's endpoint (e.g. the demo, whose store lives in its process). */
async function fromGateway(base: string, token: string | undefined, opts: MigrationOptions): Promise<void> {
  let url: URL;
  try {
    url = new URL(MIGRATION_REPORT_PATH, base);
  } catch {
    throw new UsageError(`--url: not a URL: ${base}`);
  }
  if (!token) throw new UsageError('--url needs a token with scope reports:read: --token or GATEHOUSE_TOKEN');
  for (const [name, value] of [['since', opts.since], ['until', opts.until], ['source', opts.source]] as const) {
    if (value !== undefined) url.searchParams.set(name, value);
  }
  url.searchParams.set('format', opts.format);
  let res: Response;
  try {
    res = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
  } catch (err) {
    throw new Error(`cannot reach ${url.origin}: ${(err as Error).message}`, { cause: err });
  }
  const text = await res.text();
  if (!res.ok) {
    let problem: { code?: string; detail?: string } = {};
    try {
      problem = JSON.parse(text) as typeof problem;
    } catch {
      // Not a problem document: the status says enough.
    }
    const message = `the gateway answered ${res.status}${problem.code ? ` ${problem.code}` : ''}${problem.detail ? `: ${problem.detail}` : ''}`;
    // The caller's input (or token) is wrong: exit 2; the gateway failing: exit 1.
    throw res.status < 500 ? new UsageError(message) : new Error(message);
  }
  if (opts.out) await writeFile(opts.out, text);
  else process.stdout.write(text);
}

/** Bad input (a 400 over HTTP) is a usage error here: exit 2 with the same message. */
function usage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw err instanceof AppError && err.status === 400 ? new UsageError(err.message) : err;
  }
}

async function usageAsync<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw err instanceof AppError && err.status === 400 ? new UsageError(err.message) : err;
  }
}

/** Stages on stderr, on a terminal only: stdout carries the report. */
function progressBar(quiet: boolean): { update: (stage: string, done: number, total: number) => void; stop: () => void } {
  if (quiet) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: 'report [{bar}] {value}/{total} | {stage}', barsize: 30, hideCursor: true },
    cliProgress.Presets.legacy,
  );
  let started = false;
  return {
    update(stage, done) {
      if (!started) bar.start(REPORT_STAGES, done, { stage });
      else bar.update(done, { stage });
      started = true;
    },
    stop() {
      if (started) bar.stop();
      started = false;
    },
  };
}
