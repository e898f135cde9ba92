// `gatehouse check`: report drift between the OpenAPI document and the live databases; exit 1 on a breaking change.
import { InvalidArgumentError, type Command } from 'commander';
import { createDataSources } from '../../db/sources.js';
import { detectDrift, type DriftReport } from '../../drift/drift.js';
import { SourceInputError } from '../../init/source-input-error.js';
import { loadSpecFile } from '../../openapi/load-spec.js';
import { didYouMean } from '../../util/did-you-mean.js';
import { configOption, loadCliConfig } from '../cli-config.js';
import { run, UsageError } from '../run-command.js';

interface CheckOptions {
  config: string;
  source?: string;
  spec?: string;
  format: 'text' | 'json';
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('compare the OpenAPI document with the live schema; exit 1 when the database broke the contract')
    .addOption(configOption())
    .option('-s, --source <name>', 'only the resources bound to this source')
    .option('--spec <file>', 'the document to check (default: the config\'s spec)')
    .option('--format <format>', 'text or json', format, 'text')
    .action(async (opts: CheckOptions) => {
      await run(() => checkCommand(opts));
    });
}

async function checkCommand(opts: CheckOptions): Promise<void> {
  const config = loadCliConfig(opts.config);
  const spec = await loadSpecFile(opts.spec ?? config.spec);
  const bound = [...new Set(spec.resources.map((r) => r.source))];
  if (opts.source !== undefined && !bound.includes(opts.source)) {
    throw new UsageError(`--source ${opts.source}: the document binds no resource to it${didYouMean(opts.source, bound)}; it uses: ${bound.join(', ')}`);
  }
  const used = opts.source === undefined ? bound : [opts.source];
  const unknown = used.filter((name) => !config.sources[name]);
  if (unknown.length > 0) {
    throw new UsageError(
      `the document binds resources to ${unknown.map((n) => `"${n}"`).join(', ')}, which the configuration does not define` +
        didYouMean(unknown[0]!, Object.keys(config.sources)),
    );
  }
  const sources = createDataSources(Object.fromEntries(used.map((name) => [name, config.sources[name]!])));
  let report: DriftReport;
  try {
    report = await detectDrift(spec, sources, { source: opts.source });
  } catch (err) {
    if (err instanceof SourceInputError) throw new UsageError(err.message);
    throw err;
  } finally {
    await sources.destroy();
  }
  process.stdout.write(opts.format === 'json' ? `${JSON.stringify(toJson(report), null, 2)}\n` : toText(report, used));
  // Exit status, not process.exit: let stdout drain. 1 = the database broke the contract; information alone is fine.
  if (report.errors > 0) process.exitCode = 1;
}

function toJson(report: DriftReport): Record<string, unknown> {
  return { ok: report.errors === 0, errors: report.errors, infos: report.infos, resources: report.resources, findings: report.findings };
}

function toText(report: DriftReport, sources: readonly string[]): string {
  const lines = report.findings.map((f) => `${f.severity === 'error' ? 'error' : 'info '}  ${f.code.padEnd(18)} ${f.message}`);
  const verdict =
    report.errors > 0
      ? `${report.errors} breaking change${report.errors === 1 ? '' : 's'}`
      : report.infos > 0
        ? 'no breaking changes'
        : 'no drift';
  lines.push(
    `check: ${verdict}${report.infos > 0 ? `, ${report.infos} for information` : ''} ` +
      `(${report.resources} resources on ${sources.join(', ')})`,
  );
  return `${lines.join('\n')}\n`;
}

function format(value: string): 'text' | 'json' {
  if (value !== 'text' && value !== 'json') throw new InvalidArgumentError('choose text or json');
  return value;
}
