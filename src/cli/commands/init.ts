// `gatehouse init`: write a first OpenAPI document from a live database (introspection → bindings → file).
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import type { GatehouseConfig } from '../../config/types.js';
import { createDataSources } from '../../db/sources.js';
import { generateFromSource, type GeneratedSpec } from '../../init/generate-from-source.js';
import type { NamingStyle } from '../../init/naming.js';
import { documentChunks, formatFor } from '../../init/serialize-document.js';
import { SourceInputError } from '../../init/source-input-error.js';
import { didYouMean } from '../../util/did-you-mean.js';
import { initProgressBar } from '../progress-bar.js';
import { configOption, loadCliConfig } from '../cli-config.js';
import { run, UsageError } from '../run-command.js';

interface InitOptions {
  config: string;
  source?: string;
  schema?: string[];
  include?: string[];
  exclude?: string[];
  out?: string;
  force?: boolean;
  naming: NamingStyle;
  writableViews?: boolean;
  quiet?: boolean;
}

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('write a first OpenAPI document from a live database: tables, views, keys, types, foreign keys')
    .addOption(configOption('configuration file naming the sources'))
    .option('-s, --source <name>', 'the source to read (default: the only configured source)')
    .option('--schema <schema>', 'schema to read; repeat or comma-separate for several (default: the source default)', commaList)
    .option('--include <glob>', 'only tables and views matching this glob (name or schema.name, any case); repeatable', repeated)
    .option('--exclude <glob>', 'leave out tables and views matching this glob; repeatable', repeated)
    .option('-o, --out <file>', 'where to write the document (.yaml or .json; - for stdout; default: the config\'s spec path)')
    .option('-f, --force', 'overwrite the output file if it exists')
    .option('--naming <style>', 'API names: camel (orderDate) or snake (order_date)', naming, 'camel')
    .option('--writable-views', 'give views write operations too (otherwise views are read-only)')
    .option('-q, --quiet', 'no progress bar and no report on stderr')
    .action(async (opts: InitOptions) => {
      await run(() => initCommand(opts));
    });
}

async function initCommand(opts: InitOptions): Promise<void> {
  // With --out the configuration need not name a spec: the document is written where --out says.
  const config = loadCliConfig(opts.config, { spec: opts.out });
  const sourceName = pickSource(config, opts.source);
  const out = opts.out === '-' ? undefined : path.resolve(opts.out ?? config.spec);
  // Refuse before connecting: a long introspection should not end in "the file exists".
  if (out !== undefined && !opts.force && existsSync(out)) {
    throw new UsageError(`${out} already exists; use --force to overwrite it, or --out to write elsewhere`);
  }
  const sources = createDataSources({ [sourceName]: config.sources[sourceName]! });
  const progress = initProgressBar(process.stderr, { quiet: opts.quiet === true });
  let generated: GeneratedSpec;
  try {
    generated = await generateFromSource(sources.get(sourceName)!, {
      schemas: opts.schema,
      include: opts.include,
      exclude: opts.exclude,
      naming: opts.naming,
      writableViews: opts.writableViews === true,
      progress,
    });
  } catch (err) {
    if (err instanceof SourceInputError) throw new UsageError(err.message);
    throw err;
  } finally {
    progress.stop();
    await sources.destroy();
  }
  // Written piece by piece: a 1,000-table document is never held as one string.
  const chunks = documentChunks(generated.document, formatFor(out), sourceName);
  if (out === undefined) {
    for (const chunk of chunks) {
      if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
    }
  } else {
    let file: FileHandle;
    try {
      await mkdir(path.dirname(out), { recursive: true });
      // `wx` keeps the refusal honest if the file appeared while we were introspecting.
      file = await open(out, opts.force ? 'w' : 'wx');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new UsageError(`${out} already exists; use --force to overwrite it`);
      throw new UsageError(`cannot write ${out}: ${code ?? String(err)}`);
    }
    try {
      for (const chunk of chunks) await file.write(chunk);
    } finally {
      await file.close();
    }
  }
  if (!opts.quiet) process.stderr.write(report(generated, out));
}

function pickSource(config: GatehouseConfig, requested: string | undefined): string {
  const names = Object.keys(config.sources);
  if (requested !== undefined) {
    if (!config.sources[requested]) {
      throw new UsageError(`--source ${requested}: no such source in the configuration${didYouMean(requested, names)}; configured: ${names.join(', ')}`);
    }
    return requested;
  }
  if (names.length === 1) return names[0]!;
  throw new UsageError(`the configuration has ${names.length} sources (${names.join(', ')}); choose one with --source`);
}

function report(generated: GeneratedSpec, out: string | undefined): string {
  const items = generated.resources.filter((r) => r.itemPath).length;
  const lines = [
    `init: ${out === undefined ? 'wrote the document to stdout' : `wrote ${out}`}: ${generated.resources.length} resources ` +
      `(${items} with item paths) from schema${generated.schemas.length > 1 ? 's' : ''} ${generated.schemas.join(', ')}` +
      (generated.excluded.length > 0 ? `; ${generated.excluded.length} left out by --include/--exclude` : ''),
  ];
  for (const note of generated.notes) lines.push(`  ${note.level === 'warning' ? 'warning' : 'note   '} ${note.relation}: ${note.message}`);
  return `${lines.join('\n')}\n`;
}

function commaList(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), ...value.split(',').map((v) => v.trim()).filter(Boolean)];
}

/** Globs are not split on commas: `{cust,ord}_*` is one pattern. */
function repeated(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function naming(value: string): NamingStyle {
  if (value !== 'camel' && value !== 'snake') throw new InvalidArgumentError('choose camel or snake');
  return value;
}
