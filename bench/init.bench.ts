// `gatehouse init` on a generated 1,000-table schema on a real PostgreSQL: wall time and peak RSS against the targets
// (< 30 s, < 300 MB), and as ratios to a bare introspection of the same schema measured in the same run.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import YAML from 'yaml';
import { createDatabase, startPostgres } from '../test/support/postgres.js';
import { compileGateway, root } from './support/compile.js';

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

interface SchemaShape {
  tables: number;
  columns: number;
  foreignKeys: number;
  composite: number;
  keyless: number;
  uniqueOnly: number;
}

const NOUNS = ['cust', 'order', 'item', 'invoice', 'ledger', 'stock', 'vendor', 'shipment', 'account', 'employee', 'contract', 'price'];
const SUFFIXES = ['mstr', 'hdr', 'line', 'hist', 'xref', 'dtl', 'log', 'stage'];
const TYPES = [
  'integer', 'bigint', 'numeric(12,2)', 'varchar(40)', 'text', 'date', 'timestamp', 'timestamptz', 'boolean', 'uuid',
  'jsonb', 'bytea', 'text[]', 'bench_status', 'smallint', 'double precision', 'char(3)', 'numeric(18,6)',
];

/** A legacy-looking schema, deterministic: upper, lower and spaced names, most tables keyed, half with a foreign key. */
export async function createSchema(url: string, count: number): Promise<SchemaShape> {
  let seed = 0x1ed9e5;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    // The high bits: an LCG's low bits cycle with a short period.
    return (seed >>> 12) % n;
  };
  const shape: SchemaShape = { tables: count, columns: 0, foreignKeys: 0, composite: 0, keyless: 0, uniqueOnly: 0 };
  const statements = [`CREATE TYPE bench_status AS ENUM ('NEW', 'OPEN', 'CLOSED', 'VOID')`];
  const singleKeyed: Array<{ name: string; keyType: string }> = [];
  for (let i = 1; i <= count; i += 1) {
    const base = `${NOUNS[next(NOUNS.length)]}_${SUFFIXES[next(SUFFIXES.length)]}_${i}`;
    const style = next(10);
    const name = style < 4 ? base.toUpperCase() : style < 5 ? base.replace(/_/g, ' ').replace(/\b\w/g, (c) => c.toUpperCase()) : base;
    const q = (id: string): string => `"${id.replace(/"/g, '""')}"`;
    const cols: string[] = [];
    const keyKind = next(20);
    const keyType = next(2) === 0 ? 'integer' : 'bigint';
    cols.push(keyKind < 8 ? `${q('ID')} ${keyType} GENERATED BY DEFAULT AS IDENTITY` : `${q('ID')} ${keyType} NOT NULL`);
    const width = 5 + next(14);
    for (let c = 1; c <= width; c += 1) {
      const type = TYPES[next(TYPES.length)]!;
      const colName = next(6) === 0 ? `Col ${c} ${type.split('(')[0]}` : `${type.split(/[( ]/)[0]!.toUpperCase()}_${c}`;
      cols.push(`${q(colName)} ${type}${next(3) === 0 ? ' NOT NULL' : ''}`);
    }
    cols.push(`${q('LINE_NO')} smallint NOT NULL DEFAULT 1`);
    let fk: string | undefined;
    if (singleKeyed.length > 0 && next(2) === 0) {
      const target = singleKeyed[next(singleKeyed.length)]!;
      cols.push(`${q('PARENT_ID')} ${target.keyType}`);
      fk = `CONSTRAINT ${q(`${name}_fk`)} FOREIGN KEY (${q('PARENT_ID')}) REFERENCES ${q(target.name)} (${q('ID')})`;
      shape.foreignKeys += 1;
    }
    if (keyKind < 17) {
      cols.push(`CONSTRAINT ${q(`${name}_pk`)} PRIMARY KEY (${q('ID')})`);
      singleKeyed.push({ name, keyType });
    } else if (keyKind === 17) {
      cols.push(`CONSTRAINT ${q(`${name}_pk`)} PRIMARY KEY (${q('ID')}, ${q('LINE_NO')})`);
      shape.composite += 1;
    } else if (keyKind === 18) {
      cols.push(`CONSTRAINT ${q(`${name}_uk`)} UNIQUE (${q('ID')})`);
      shape.uniqueOnly += 1;
    } else {
      shape.keyless += 1;
    }
    if (fk) cols.push(fk);
    shape.columns += width + 2 + (fk ? 1 : 0);
    statements.push(`CREATE TABLE ${q(name)} (\n  ${cols.join(',\n  ')}\n)`);
    if (next(3) === 0) statements.push(`COMMENT ON TABLE ${q(name)} IS 'Legacy table number ${i}.'`);
  }
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('BEGIN');
    for (let i = 0; i < statements.length; i += 200) await client.query(statements.slice(i, i + 200).join(';\n'));
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
  return shape;
}
