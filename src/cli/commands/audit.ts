// `gatehouse audit verify | export`: check the audit log's integrity, or write it out, straight from the store.
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { Option, type Command } from 'commander';
import { countEvents, iterateEvents, parseTime, type EventFilters } from '../../audit/event-query.js';
import { exportHeader, exportLine, type ExportFormat } from '../../audit/export-format.js';
import { createSigner, trustedKeysFor } from '../../audit/signing.js';
import { verifyAuditLog, type VerifyReport } from '../../audit/verify.js';
import type { PublishedCheckpoint } from '../../audit/witness.js';
import { readPublished } from '../../audit/witness-check.js';
import type { GatehouseConfig } from '../../config/types.js';
import { AppError } from '../../errors/app-error.js';
import { createStore, type Store } from '../../store/create-store.js';
import { configOption, loadCliConfig } from '../cli-config.js';
import { countProgressBar } from '../progress-bar.js';
import { run, UsageError } from '../run-command.js';

interface CommonOptions {
  config: string;
  from?: string;
  to?: string;
  quiet?: boolean;
}

export function registerAudit(program: Command): void {
  const audit = program.command('audit').description('verify or export the audit log');

  audit
    .command('verify')
    .description('recompute every hash chain, check contiguity, checkpoints and signatures; exit 1 on any problem')
    .addOption(configOption())
    .option('--from <time>', 'only records recorded at or after this ISO time')
    .option('--to <time>', 'only records recorded before this ISO time')
    .option(
      '--witness <file>',
      'checkpoints published outside the store (the audit.witness file, or the sink\'s NDJSON; - reads stdin): the store must hold everything up to the newest',
    )
    .addOption(new Option('--format <format>', 'report format').choices(['text', 'json']).default('text'))
    .option('-q, --quiet', 'no progress bar (it is drawn only when stderr is a terminal)')
    .action(async (opts: CommonOptions & { format: 'text' | 'json'; witness?: string }) => {
      let ok = false;
      await run(async () => {
        const { config, store } = open(opts.config);
        try {
          const trustedKeys = trustedKeysFor(
            config.audit?.signingKey ? createSigner(config.audit.signingKey) : undefined,
            config.audit?.trustedKeys ?? [],
          );
          const witness = opts.witness === undefined ? undefined : await readWitness(opts.witness);
          const progress = countProgressBar(process.stderr, 'verify', { quiet: opts.quiet === true });
          const report = await verifyAuditLog(store.db, {
            from: time('from', opts.from),
            to: time('to', opts.to),
            trustedKeys,
            onProgress: progress.update,
            witness,
          }).finally(progress.stop);
          process.stdout.write(opts.format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : describeReport(report));
          ok = report.ok;
        } finally {
          await store.destroy();
        }
      });
      process.exitCode = ok ? 0 : 1;
    });

  audit
    .command('export')
    .usage('--from <time> --to <time> [options]')
    .description('write the audit records of requests received in [--from, --to) (oldest first) as NDJSON or CSV')
    .addOption(configOption())
    .requiredOption('--from <time>', 'records of requests received at or after this ISO time')
    .requiredOption('--to <time>', 'records of requests received before this ISO time')
    .addOption(new Option('--format <format>', 'output format').choices(['ndjson', 'csv']).default('ndjson'))
    .option('-o, --out <file>', 'write here instead of stdout')
    .option('-q, --quiet', 'no progress bar (it is drawn only when stderr is a terminal)')
    .action(async (opts: CommonOptions & { format: ExportFormat; out?: string }) => {
      await run(async () => {
        const { store } = open(opts.config);
        const out = opts.out ? createWriteStream(opts.out) : process.stdout;
        try {
          const filters: EventFilters = { from: time('from', opts.from), to: time('to', opts.to) };
          const total = await countEvents(store.db, filters);
          const progress = countProgressBar(process.stderr, 'export', { quiet: opts.quiet === true });
          progress.update(0, total);
          let done = 0;
          const write = async (text: string): Promise<void> => {
            if (!out.write(text)) await once(out, 'drain');
          };
          try {
            await write(exportHeader(opts.format));
            for await (const record of iterateEvents(store.db, filters)) {
              await write(exportLine(opts.format, record));
              done += 1;
              if (done % 500 === 0) progress.update(done, total);
            }
            progress.update(done, total);
          } finally {
            progress.stop();
          }
          if (opts.out) {
            out.end();
            await once(out, 'finish');
          }
          process.stderr.write(`exported ${done} records\n`);
        } finally {
          await store.destroy();
        }
      });
    });
}

function open(file: string): { config: GatehouseConfig; store: Store } {
  const config = loadCliConfig(file);
  if (!config.store) throw new UsageError(`${file} has no store: section`);
  return { config, store: createStore(config.store) };
}

async function readWitness(file: string): Promise<PublishedCheckpoint[]> {
  const input = file === '-' ? process.stdin : createReadStream(file);
  const opened = new Promise<void>((resolve, reject) => {
    if (file === '-') resolve();
    input.once('error', reject);
    input.once('open', () => resolve());
  });
  try {
    await opened;
  } catch (err) {
    throw new UsageError(`--witness: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return readPublished(createInterface({ input, crlfDelay: Infinity }));
}

function time(name: string, raw: string | undefined): Date | undefined {
  if (raw === undefined) return undefined;
  try {
    return parseTime(name, raw);
  } catch (err) {
    throw new UsageError(`--${name}: ${err instanceof AppError ? err.message : String(err)}`);
  }
}

function describeReport(report: VerifyReport): string {
  const lines: string[] = [];
  lines.push(report.ok ? `OK: ${report.events} records verified` : `FAILED: ${report.problems.length} problem(s) in ${report.events} records`);
  for (const i of report.instances) {
    lines.push(
      `  instance ${i.instanceId}: ${i.events} records (seq ${i.firstSeq ?? '-'}–${i.lastSeq ?? '-'}), ` +
        `${i.checkpoints} checkpoints, last at seq ${i.lastCheckpointSeq ?? '-'}` +
        (i.removedThroughSeq !== null ? `, removed by retention through seq ${i.removedThroughSeq}` : '') +
        (i.uncheckpointed > 0 ? `; ${i.uncheckpointed} record(s) after the last checkpoint` : ''),
    );
  }
  if (report.witness) {
    const w = report.witness;
    lines.push(`  witness: ${w.checkpoints} published checkpoint(s)${w.untrusted > 0 ? `, ${w.untrusted} not signed by a trusted key` : ''}`);
    for (const i of w.instances) {
      lines.push(`    instance ${i.instanceId}: newest published at seq ${i.seq} (${i.createdAt}): ${i.held ? 'held by the store' : 'NOT held by the store'}`);
    }
  }
  for (const p of report.problems) lines.push(`  ${p.kind}: [${p.instanceId}] ${p.detail}`);
  return `${lines.join('\n')}\n`;
}
