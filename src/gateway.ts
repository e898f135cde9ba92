// Assembles a gateway from a configuration: sources, contract, binding check, validators, app. Does not listen.
import type { RequestListener } from 'node:http';
import type { Express } from 'express';
import { buildApp } from './app.js';
import type { GatehouseConfig } from './config/types.js';
import { createDataSources, type DataSources } from './db/sources.js';
import { checkBindings } from './openapi/check-bindings.js';
import { loadSpecFile, type LoadedSpec } from './openapi/load-spec.js';
import { buildOperationIndex } from './openapi/operation-index.js';
import { createValidatorFactory } from './openapi/validators.js';
import type { Logger } from './observability/logger.js';
import { startAuditor, type Auditor } from './audit/auditor.js';
import { ConfigError, SpecError } from './errors/app-error.js';
import type { Readiness } from './http/routes/health.js';
import { createStore, type Store } from './store/create-store.js';
import { pendingMigrations } from './store/migrations.js';
import { createTokenVerifier } from './auth/token-verifier.js';
import { compileNetwork } from './net/network-policy.js';
import { compilePolicies } from './policy/compile-policies.js';
import { createRateLimitStores, type RateLimitStores } from './ratelimit/rate-limit-stores.js';
import { createExecutor } from './query/execute.js';
import type { Security } from './app.js';

export interface Gateway {
  /** The Express app (every request; data operations through the same stages). */
  readonly app: Express;
  /** The node:http door (data operations served directly): what `serve` listens with. */
  readonly listener: RequestListener;
  readonly sources: DataSources;
  readonly spec: LoadedSpec;
  /** The audit log, when `audit:` is configured. */
  readonly auditor?: Auditor;
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** Already-open sources (the embedded demo seeds its in-memory database before the gateway starts). */
  readonly sources?: DataSources;
  /** Shown in /readyz's body under `details`, never changing its status (the DNS registration's state). */
  readonly readinessDetails?: Readonly<Record<string, () => unknown>>;
}

export async function createGateway(config: GatehouseConfig, logger: Logger, options: GatewayOptions = {}): Promise<Gateway> {
  const sources = options.sources ?? createDataSources(config.sources, logger);
  let store: Store | undefined;
  let auditor: Auditor | undefined;
  let rateLimitStores: RateLimitStores | undefined;
  try {
    const readiness: Readiness = { checks: [], details: options.readinessDetails ?? {} };
    if (config.audit && !config.store) throw new ConfigError(['audit: needs a store: section to keep the audit log in']);
    if (config.store) {
      store = createStore(config.store);
      if (config.store.migrate) await store.migrate();
      else {
        // The audit writer depends on the current schema (e.g. the chain-head table): refuse clearly, not mid-request.
        const pending = await pendingMigrations(store.db);
        if (pending.length > 0) {
          throw new ConfigError([
            `store: ${pending.length} migration(s) not applied (${pending.join(', ')}): run \`gatehouse migrate\` or set store.migrate: true`,
          ]);
        }
      }
    }
    if (config.audit && store) {
      auditor = await startAuditor({ config: config.audit, store, logger });
      const running = auditor;
      readiness.checks.push(() => running.readiness());
    }
    const spec = await loadSpecFile(config.spec);
    await checkBindings(spec.resources, spec.operations, sources);
    rateLimitStores = await createRateLimitStores(config, logger);
    const security: Security = {
      network: compileNetwork(config.network),
      rateLimitStores,
      ...(config.auth.disabled
        ? {}
        : {
            verifier: createTokenVerifier(config.auth),
            policy: compilePolicies(config.policies, spec.resources),
          }),
    };
    if (config.auth.disabled) {
      logger.warn('authentication is disabled: every operation of the contract is open on loopback', {
        event: 'auth_disabled',
      });
    }
    if (config.redis.url !== undefined) {
      const stores = rateLimitStores;
      readiness.checks.push(async () =>
        stores.isAvailable() || config.rateLimit.failOpen ? undefined : 'the rate-limit store (Redis) is unreachable',
      );
    }
    const validators = createValidatorFactory();
    // Checked now, so a schema ajv cannot compile fails the start, not a request; each compiles on its first use.
    const schemaProblems = validators.check(spec.resources);
    if (schemaProblems.length > 0) throw new SpecError(schemaProblems);
    const { express: app, listener } = buildApp({
      config,
      logger,
      sources,
      executor: createExecutor(),
      document: spec.document,
      operations: buildOperationIndex(spec.operations),
      validators,
      readiness,
      auditor,
      security,
    });
    const limiterStores = rateLimitStores;
    const close = async (): Promise<void> => {
      await limiterStores.close();
      await auditor?.close();
      await store?.destroy();
      await sources.destroy();
    };
    return { app, listener, sources, spec, auditor, close };
  } catch (err) {
    await rateLimitStores?.close();
    await auditor?.close();
    await store?.destroy().catch(() => undefined);
    await sources.destroy();
    throw err;
  }
}
