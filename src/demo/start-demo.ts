// Starts the embedded demo: PGlite seeded with the legacy ERP, the gateway on the demo configuration, and a token
// for the demo user. `gatehouse demo` prints its banner around this; tests start the same demo in process.
import { mintToken } from '../auth/mint-token.js';
import type { Env } from '../config/load.js';
import { createDataSources } from '../db/sources.js';
import { startGateway, type RunningGateway } from '../main.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { seedAccessHistory } from './access-history.js';
import { DEMO_CLAIMS, DEMO_SCOPES, demoConfig, type DemoOptions } from './demo-config.js';
import { seedErp, type SeedSummary } from './erp-schema.js';

export interface RunningDemo {
  readonly running: RunningGateway;
  readonly summary: SeedSummary;
  /** The demo user's token: every ERP scope, audit:read and reports:read, region EMEA, valid 8 hours. */
  readonly token: string;
  readonly logger: Logger;
}

/** A composition root like main.ts: it builds the demo's logger (JSON lines on stdout; none when `silent`). */
export async function startDemo(options: DemoOptions, env: Env, output: { silent?: boolean } = {}): Promise<RunningDemo> {
  const config = demoConfig(options, env);
  const log = createLogger({ level: config.log.level, silent: output.silent });
  const sources = createDataSources(config.sources, log);
  let summary: SeedSummary;
  try {
    summary = await seedErp(sources.get('erp')!.db);
    // Fresh statistics, so the migration report shows row estimates for the seeded tables.
    await sources.get('erp')!.db.raw('analyze');
  } catch (err) {
    await sources.destroy();
    throw err;
  }
  const running = await startGateway(config, log, { sources });
  // A month of simulated cloud and on-prem use, so that the migration report has something to say.
  if (running.gateway.auditor) await seedAccessHistory(running.gateway.auditor, running.gateway.spec.operations);
  const token = await mintToken(config.auth, {
    subject: 'demo-user',
    clientId: 'demo-cli',
    scopes: DEMO_SCOPES,
    claims: DEMO_CLAIMS,
    ttlSeconds: 8 * 3600,
  });
  return { running, summary, token, logger: log };
}
