// The soak: the compiled gateway with strict audit on durable PostgreSQL servers (one for the data, one for the audit
// store), in three phases: ten minutes at 80% of its measured capacity (0 non-2xx, RSS flat after warm-up), ten SIGKILLs
// under a mixed load (0 lost, 0 acknowledged-then-failed writes), and ten stops and restarts of the audit store under
// load (0 unaudited 2xx, 0 false unknown outcomes, back to 100% 2xx within 1 s). Only run when named
// (`npm run bench -- soak`); BENCH_SOAK_PHASES picks phases (soak,crash,store-restart; default all).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compileGateway } from './support/compile.js';
import { crashPhase } from './support/crash-phase.js';
import { loadAverage } from './support/soak-gateway.js';
import { soakPhase } from './support/soak-phase.js';
import { storeRestartPhase } from './support/store-restart-phase.js';

const num = (name: string, fallback: number): number => (process.env[name] === undefined ? fallback : Number(process.env[name]));
const PHASES = ['soak', 'crash', 'store-restart'] as const;
type Phase = (typeof PHASES)[number];

function phases(): Phase[] {
  const asked = (process.env.BENCH_SOAK_PHASES ?? PHASES.join(','))
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const unknown = asked.filter((p) => !(PHASES as readonly string[]).includes(p));
  if (unknown.length > 0) throw new Error(`BENCH_SOAK_PHASES: unknown phase ${unknown.join(', ')} (phases: ${PHASES.join(', ')})`);
  return PHASES.filter((p) => asked.includes(p));
}

export async function run(): Promise<void> {
  const chosen = phases();
  const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-bench-soak-'));
  let build: string | undefined;
  const results: Array<[Phase, boolean]> = [];
  try {
    const compiled = await compileGateway('bench-soak');
    build = compiled.outDir;
    console.log(`  phases: ${chosen.join(', ')}; ${loadAverage()}`);
    for (const phase of chosen) {
      if (phase === 'soak') {
        results.push([
          phase,
          await soakPhase(compiled.cli, dir, {
            soakS: num('BENCH_SOAK_S', 600),
            warmupS: num('BENCH_WARMUP', 15),
            capacityS: num('BENCH_CAPACITY_S', 15),
            share: num('BENCH_LOAD_SHARE', 0.8),
            connections: num('BENCH_CONNECTIONS', 20),
            writes: num('BENCH_WRITES', 0.1),
            checkpointMs: process.env.BENCH_CHECKPOINT_MS === undefined ? undefined : Number(process.env.BENCH_CHECKPOINT_MS),
            sampleS: num('BENCH_SAMPLE_S', 5),
          }),
        ]);
      } else if (phase === 'crash') {
        results.push([
          phase,
          await crashPhase(compiled.cli, dir, {
            cycles: num('BENCH_CRASH_CYCLES', 10),
            workers: num('BENCH_CRASH_CONNECTIONS', 16),
            killAfterS: [num('BENCH_CRASH_MIN_S', 1), num('BENCH_CRASH_MAX_S', 8)],
          }),
        ]);
      } else {
        results.push([phase, await storeRestartPhase(compiled.cli, dir, { cycles: num('BENCH_RESTART_CYCLES', 10), connections: num('BENCH_RESTART_CONNECTIONS', 8) })]);
      }
    }
    console.log(`\nSoak phases: ${results.map(([p, ok]) => `${p} ${ok ? 'met' : 'NOT met'}`).join(', ')}`);
    if (results.some(([, ok]) => !ok)) process.exitCode = 1;
  } finally {
    await rm(dir, { recursive: true, force: true });
    if (build) await rm(build, { recursive: true, force: true });
  }
}
