// The store-restart phase: the compiled gateway with strict audit on durable PostgreSQL servers, under a steady mixed
// load, while its audit store is stopped (a fast shutdown and a crash of every backend, alternately) and started again,
// cycle after cycle, the gateway left running. Figures: 0 unaudited 2xx, 0 false `unknown` outcomes, and back to 100%
// 2xx within 1 s of the store accepting connections (per cycle, median and max).
import { steadyLoad, tally, type LoadAnswer } from '../../test/support/steady-load.js';
import { median, restartFigures, restartLoadRequest, restartStoreCycles, type RestartWindow } from '../../test/support/store-restarts.js';
import { auditVerify, durableDatabases, loadAverage, met, startGatewayProcess, stopGatewayProcess, writeGatewayConfig } from './soak-gateway.js';

export interface StoreRestartSettings {
  readonly cycles: number;
  readonly connections: number;
}

const RECOVERY_MS = 1_000;

/** Runs the phase; resolves with whether its targets were met. */
export async function storeRestartPhase(cli: string, dir: string, s: StoreRestartSettings): Promise<boolean> {
  const dbs = await durableDatabases('restart');
  try {
    const { configFile, url } = await writeGatewayConfig(dir, dbs, { instanceId: 'restart' });
    console.log(
      `\nStore restarts: ${s.cycles} cycles of the audit store stopped (fast shutdown and kill -9 of every backend, alternately) and ` +
        `started again under a steady load (${s.connections} connections: 60% reads, 20% creates, 20% updates), the gateway left ` +
        `running; strict audit, durable data and store; ${loadAverage()}`,
    );
    const child = await startGatewayProcess(cli, configFile, url);
    const answers: LoadAnswer[] = [];
    let stop = false;
    let windows: RestartWindow[] = [];
    const load = steadyLoad({
      baseUrl: url,
      connections: s.connections,
      durationMs: 30 * 60_000,
      prefix: 'restart',
      stop: () => stop,
      onAnswer: (a) => answers.push(a),
      request: restartLoadRequest,
    });
    try {
      windows = await restartStoreCycles({ store: dbs.store, answers, cycles: s.cycles });
    } finally {
      stop = true;
      await load;
      await stopGatewayProcess(child, 'SIGTERM');
    }
    const f = await restartFigures(answers, windows, dbs.storeDb, RECOVERY_MS);
    for (const [i, c] of f.cycles.entries()) {
      console.log(
        `  cycle ${String(i + 1).padStart(2)} (${c.how.padEnd(7)}): back to 100% 2xx ${String(c.backToAll2xxMs).padStart(4)} ms after the store ` +
          `accepted connections; ${c.refused.length} of ${c.answered} answers since then not 2xx${c.refused.length > 0 ? ` (${tally(c.refused)})` : ''}`,
      );
    }
    const back = f.cycles.map((c) => c.backToAll2xxMs);
    const late = f.cycles.reduce((a, c) => a + c.lateFailures.length, 0);
    const verified = await auditVerify(cli, configFile);
    const within = Math.max(...back) < RECOVERY_MS && late === 0;
    console.log(
      `  total: ${f.requests} requests, ${f.ok} 2xx, ${f.requests - f.ok} refused while the store was down or coming back` +
        `${f.odd.length > 0 ? ` (other than 503 audit_unavailable: ${tally(f.odd)})` : ''}; back to 100% 2xx: median ${median(back)} ms, ` +
        `max ${Math.max(...back)} ms [target < 1 s: ${met(within)}]; unaudited 2xx ${f.unaudited.length} [target 0: ${met(f.unaudited.length === 0)}]; ` +
        `false unknown ${f.falseUnknown.length} [target 0: ${met(f.falseUnknown.length === 0)}] (${f.unknownOutcomes} unknown in all); ` +
        `open intents ${f.openIntents}; records stored twice ${f.duplicated}; verify: ${verified.line}; ${loadAverage()}`,
    );
    return within && f.unaudited.length === 0 && f.falseUnknown.length === 0 && f.odd.length === 0 && f.openIntents === 0 && f.duplicated === 0 && verified.ok;
  } finally {
    await dbs.destroy();
  }
}
