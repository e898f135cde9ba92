// The crash phase: the compiled gateway with strict audit on durable PostgreSQL servers, under a mixed load of reads,
// creates and updates (half the writes with an Idempotency-Key), killed with SIGKILL at a random moment and restarted,
// cycle after cycle. Each cycle is checked from outside, in the data and the audit store: 0 lost (a 2xx without its
// committed event or change) and 0 acknowledged-then-failed (a write answered as a failure whose change committed).
import { setTimeout as sleep } from 'node:timers/promises';
import { crashFigures, startMixedLoad, type CrashFigures } from '../../test/support/crash-load.js';
import { auditVerify, durableDatabases, loadAverage, met, startGatewayProcess, stopGatewayProcess, writeGatewayConfig } from './soak-gateway.js';

export interface CrashSettings {
  readonly cycles: number;
  readonly workers: number;
  /** The kill comes at a uniformly random moment in [minS, maxS] after the load starts. */
  readonly killAfterS: readonly [number, number];
}

const READ_ROWS = 500;

/** Runs the phase; resolves with whether its targets were met. */
export async function crashPhase(cli: string, dir: string, s: CrashSettings): Promise<boolean> {
  const dbs = await durableDatabases('crash');
  try {
    const { configFile, url } = await writeGatewayConfig(dir, dbs, { instanceId: 'crash', checkpoint: { everyEvents: 500 } });
    console.log(
      `\nCrash: ${s.cycles} cycles of SIGKILL under a mixed load (${s.workers} connections: reads, creates, updates; half the writes ` +
        `with an Idempotency-Key), killed ${s.killAfterS[0]}–${s.killAfterS[1]} s into the load, then restarted; strict audit, durable data ` +
        `and store; ${loadAverage()}`,
    );
    const all: CrashFigures[] = [];
    let cleanExits = 0;
    for (let cycle = 1; cycle <= s.cycles; cycle++) {
      const prefix = `crash-c${cycle}`;
      const child = await startGatewayProcess(cli, configFile, url);
      const load = startMixedLoad({ url, workers: s.workers, maxPerWorker: 100_000, prefix, readRows: READ_ROWS, keyEvery: 2 });
      const killAfterMs = Math.round((s.killAfterS[0] + Math.random() * (s.killAfterS[1] - s.killAfterS[0])) * 1000);
      await sleep(killAfterMs);
      child.kill('SIGKILL');
      load.stop();
      await stopGatewayProcess(child, 'SIGKILL');
      await load.done;
      // The next start closes the intents the killed process left open; a clean stop after it leaves nothing open.
      const again = await startGatewayProcess(cli, configFile, url);
      if ((await stopGatewayProcess(again, 'SIGTERM')) === 0) cleanExits += 1;
      const f = await crashFigures({ sent: load.sent, prefix }, dbs.dataDb, dbs.storeDb);
      all.push(f);
      console.log(
        `  cycle ${String(cycle).padStart(2)}: killed at ${(killAfterMs / 1000).toFixed(2)} s; ${f.answered} answered (${f.ok} 2xx` +
          `${Object.keys(f.refusals).length > 0 ? `, ${JSON.stringify(f.refusals)}` : ''}), ${load.sent.length - f.answered} cut off ` +
          `(${f.cutOffWrites} writes, ${f.cutOffCommitted} of them committed); lost ${f.unaudited.length + f.lostWrites.length}, ` +
          `acknowledged-then-failed ${f.acknowledgedThenFailed.length}, without intent ${f.withoutIntent.length}, applied twice ` +
          `${f.appliedTwice.length}, open intents ${f.openIntents.length}, closed unknown ${f.unknown} (falsely ${f.falseUnknown.length})`,
      );
      for (const [what, ids] of problems(f)) console.log(`    ${what}: ${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''}`);
    }
    const verified = await auditVerify(cli, configFile);
    const sum = (pick: (f: CrashFigures) => number): number => all.reduce((a, f) => a + pick(f), 0);
    const lost = sum((f) => f.unaudited.length + f.lostWrites.length);
    const ackFailed = sum((f) => f.acknowledgedThenFailed.length);
    const other = sum((f) => f.withoutIntent.length + f.appliedTwice.length + f.openIntents.length + f.falseUnknown.length);
    console.log(
      `  total: ${sum((f) => f.answered)} answered, ${sum((f) => f.ok)} 2xx, ${sum((f) => f.cutOffWrites)} writes cut off ` +
        `(${sum((f) => f.cutOffCommitted)} committed, their intents closed: ${sum((f) => f.unknown)} as unknown); ` +
        `lost ${lost} [target 0: ${met(lost === 0)}]; acknowledged-then-failed ${ackFailed} [target 0: ${met(ackFailed === 0)}]; ` +
        `writes without intent, applied twice, open or falsely unknown intents ${other}; clean restarts ${cleanExits}/${s.cycles}; ` +
        `verify: ${verified.line}; ${loadAverage()}`,
    );
    return lost === 0 && ackFailed === 0 && other === 0 && cleanExits === s.cycles && verified.ok;
  } finally {
    await dbs.destroy();
  }
}

function problems(f: CrashFigures): Array<[string, readonly string[]]> {
  const named: Array<[string, readonly string[]]> = [
    ['2xx without its event', f.unaudited],
    ['2xx writes not in the data', f.lostWrites],
    ['answered as failures but committed', f.acknowledgedThenFailed],
    ['changes without intent', f.withoutIntent],
    ['applied twice', f.appliedTwice],
    ['open intents', f.openIntents],
    ['falsely unknown', f.falseUnknown],
  ];
  return named.filter(([, ids]) => ids.length > 0);
}
