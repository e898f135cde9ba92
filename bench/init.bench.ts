// `gatehouse init` on a generated 1,000-table schema on a real PostgreSQL: wall time and peak RSS against the targets
// (< 30 s, < 300 MB), and as ratios to a bare introspection of the same schema measured in the same run.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import YAML from 'yaml';
import { createDatabase, startPostgres } from '../test/support/postgres.js';
import { compileGateway, root } from './support/compile.js';
import { createSchema } from './support/legacy-schema.js';

const TABLES = Number(process.env.BENCH_INIT_TABLES ?? 1000);
const ROUNDS = Number(process.env.BENCH_INIT_ROUNDS ?? 2);
const TARGET_SECONDS = 30;
const TARGET_MB = 300;

interface Measured {
  readonly seconds: number;
  readonly peakMb: number;
}

export async function run(): Promise<void> {
  const server = await startPostgres();
  const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-bench-init-'));
  let build: string | undefined;
  try {
    const compiled = await compileGateway('bench-init');
    build = compiled.outDir;
    const url = await createDatabase(server, 'bench_init');
    const shape = await createSchema(url, TABLES);
    const config = path.join(dir, 'gatehouse.yaml');
    await writeFile(config, YAML.stringify({ spec: 'bench.yaml', sources: { bench: { client: 'pg', connection: url } } }));
    const out = path.join(dir, 'bench.yaml');
    console.log(
      `schema: ${shape.tables} tables, ${shape.columns} columns, ${shape.foreignKeys} foreign keys, ` +
        `${shape.composite} composite keys, ${shape.keyless} keyless, ${shape.uniqueOnly} keyed by a unique constraint`,
    );

    const baseline: Measured[] = [];
    const init: Measured[] = [];
    // Interleaved, so a slow moment on the machine hits both sides alike.
    for (let round = 1; round <= ROUNDS; round += 1) {
      baseline.push(await measure([path.join(root, 'bench', 'init-baseline.mjs'), build, config, 'bench', 'public']));
      init.push(await measure([compiled.cli, 'init', '--config', config, '--out', out, '--force', '--quiet']));
    }
    const size = (await stat(out)).size;
    const worst = (list: readonly Measured[], key: keyof Measured): number => Math.max(...list.map((m) => m[key]));
    const initSeconds = worst(init, 'seconds');
    const initMb = worst(init, 'peakMb');
    const baseSeconds = worst(baseline, 'seconds');
    const baseMb = worst(baseline, 'peakMb');
    const verdict = (ok: boolean): string => (ok ? 'ok' : 'MISSED');
    console.log(`rounds: ${ROUNDS} (worst of each reported); each run is a fresh node process on the compiled build; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
    for (const [i, m] of init.entries()) {
      console.log(`  round ${i + 1}: baseline ${fmt(baseline[i]!)} | init ${fmt(m)}`);
    }
    console.log(`baseline (introspection only, same schema): ${baseSeconds.toFixed(2)} s, peak RSS ${baseMb.toFixed(0)} MB`);
    console.log(
      `gatehouse init (introspect → generate → verify with loadSpec + binding check → write ${(size / 1e6).toFixed(1)} MB YAML): ` +
        `${initSeconds.toFixed(2)} s [target < ${TARGET_SECONDS} s: ${verdict(initSeconds < TARGET_SECONDS)}], ` +
        `peak RSS ${initMb.toFixed(0)} MB [target < ${TARGET_MB} MB: ${verdict(initMb < TARGET_MB)}]`,
    );
    console.log(`ratio init / baseline: wall ×${(initSeconds / baseSeconds).toFixed(2)}, peak RSS ×${(initMb / baseMb).toFixed(2)}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
    if (build) await rm(build, { recursive: true, force: true });
    await server.destroy();
  }
}

function fmt(m: Measured): string {
  return `${m.seconds.toFixed(2)} s, ${m.peakMb.toFixed(0)} MB`;
}

/** Runs one child (node + tsx + the peak-RSS reporter) and returns its wall time and its own peak RSS. */
function measure(args: readonly string[]): Promise<Measured> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', path.join(root, 'bench', 'peak-rss.mjs'), ...args],
      { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const seconds = (performance.now() - started) / 1000;
      const line = stderr.trim().split('\n').pop() ?? '';
      if (code !== 0 || !line.startsWith('{')) {
        reject(new Error(`${args.join(' ')} exited ${code}:\n${stderr}`));
        return;
      }
      const { peakRssBytes } = JSON.parse(line) as { peakRssBytes: number };
      resolve({ seconds, peakMb: peakRssBytes / 1024 / 1024 });
    });
  });
}
