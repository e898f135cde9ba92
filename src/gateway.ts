// Assembles a gateway from a configuration: what lives as long as the process (sources, audit store and writer,
// rate-limit counters, executor, metrics) and what a reload may replace (contract, bindings check, security,
// validators, the app). Does not listen; main.ts does.
import type { RequestListener, ServerResponse } from 'node:http';
import type { Express } from 'express';
import { buildApp, rateLimitStages, type GatehouseApp, type RateLimits, type Security } from './app.js';
import type { GatehouseConfig } from './config/types.js';
import { createDataSources, type DataSources } from './db/sources.js';
import { checkBindings, type CatalogsReadAhead } from './openapi/check-bindings.js';
import type { ContractRead } from './openapi/contract-read-ahead.js';
import { loadSpecFile, type LoadedSpec } from './openapi/load-spec.js';
import { buildOperationIndex } from './openapi/operation-index.js';
import { createValidatorFactory } from './openapi/validators.js';
import type { Logger } from './observability/logger.js';
import { startAuditor, type Auditor } from './audit/auditor.js';
import { ConfigError, SpecError } from './errors/app-error.js';
import { readinessReasons, type Readiness } from './http/routes/health.js';
import { createInFlight, type InFlight } from './lifecycle/in-flight.js';
import { reloadOnce } from './lifecycle/reload.js';
import type { Checked } from './lifecycle/reload.js';
import type { Metrics } from './observability/metrics.js';
import { auditCommitted, reloadFinished, type Observe, type ReloadFinished, type ReloadTrigger } from './observability/observation.js';
import { observeWriter } from './observability/observed-writer.js';
import { createObserver } from './observability/observer.js';
import { createStore, type Store } from './store/create-store.js';
import { createIdempotencyStore, type IdempotencyStore } from './idempotency/idempotency-store.js';
import { pendingMigrations } from './store/migrations.js';
import { createTokenVerifier } from './auth/token-verifier.js';
import { compileNetwork } from './net/network-policy.js';
import { compilePolicies } from './policy/compile-policies.js';
import { cursorKeyFromSecret, randomCursorKey } from './query/cursor.js';
import { createRateLimitStores, type RateLimitStores } from './ratelimit/rate-limit-stores.js';
import { createExecutor, type Executor } from './query/execute.js';

export interface Gateway {
  /** The Express app serving now (every request; data operations through the same stages). A reload replaces it. */
  readonly app: Express;
  /** The node:http door (data operations served directly): what `serve` listens with. Stable across reloads. */
  readonly listener: RequestListener;
  readonly sources: DataSources;
  /** The contract serving now. */
  readonly spec: LoadedSpec;
  /** The configuration serving now. */
  readonly config: GatehouseConfig;
  /** The audit log, when `audit:` is configured. */
  readonly auditor?: Auditor;
  readonly observe: Observe;
  readonly inFlight: InFlight;
  /**
   * Loads the configuration again (`load`; a ConfigError refuses the reload), checks it and its contract as start-up does (against the live databases) and, when they pass, serves new
   * requests with them; requests already in flight finish on what they started with. Refused (the running
   * configuration keeps serving) when a check fails or a key that needs a restart changed. Never rejects.
   */
  reload(load: () => GatehouseConfig, trigger: ReloadTrigger): Promise<ReloadFinished>;
  /** Shutdown begins: /readyz answers 503 and every answer from now on (and those in flight) closes its connection. */
  drain(): void;
  close(): Promise<void>;
}

export interface GatewayOptions {
  /** Already-open sources (the embedded demo seeds its in-memory database before the gateway starts). */
  readonly sources?: DataSources;
  /** Prometheus metrics (made by the composition root); absent: none are kept. */
  readonly metrics?: Metrics;
  /** Shown in /readyz's body under `details`, never changing its status (the DNS registration's state). */
  readonly readinessDetails?: Readonly<Record<string, () => unknown>>;
  /** The sources' catalogs, read while the gateway loaded (readCatalogsAhead on `sources`): used by the start-up check. */
  readonly catalogsAhead?: CatalogsReadAhead;
  /** The contract, read on a worker thread while the gateway loaded (readContractAhead of `config.spec`). */
  readonly contractAhead?: Promise<ContractRead | undefined>;
}

/** What lives as long as the process, shared by every configuration the gateway serves. */
interface Shared {
  readonly logger: Logger;
  readonly sources: DataSources;
  readonly auditor: Auditor | undefined;
  readonly readiness: Readiness;
  readonly rateLimitStores: RateLimitStores;
  readonly limits: RateLimits;
  readonly executor: Executor;
  readonly observe: Observe;
  /** Observations on the request path (requests, tokens): only when metrics are kept, so they cost nothing otherwise. */
  readonly observeRequests: Observe | undefined;
  readonly inFlight: InFlight;
  /** Seals keyset cursors when `policies.cursorKey` is not set: one per process, the same across reloads. */
  readonly ephemeralCursorKey: Buffer;
  /** Idempotency-Key answers, when there is a store. */
  readonly idempotency: IdempotencyStore | undefined;
}

/** One configuration and contract, checked and built: what serves requests until a reload replaces it. */
interface Serving extends Checked {
  readonly app: GatehouseApp;
}

export async function createGateway(config: GatehouseConfig, logger: Logger, options: GatewayOptions = {}): Promise<Gateway> {
  const sources = options.sources ?? createDataSources(config.sources, logger);
  const { metrics } = options;
  const observe = createObserver({ logger, metrics });
  const inFlight = createInFlight();
  let draining = false;
  let store: Store | undefined;
  let auditor: Auditor | undefined;
  let rateLimitStores: RateLimitStores | undefined;
  let idempotency: IdempotencyStore | undefined;
  try {
    const readiness: Readiness = {
      checks: [],
      gate: () => (draining ? 'the gateway is shutting down' : undefined),
      details: options.readinessDetails ?? {},
    };
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
    if (store) idempotency = createIdempotencyStore({ db: store.db, logger, sweepIntervalMs: config.idempotency.sweepIntervalMs });
    let auditPending: (() => number) | undefined;
    if (config.audit && store) {
      const started = await startAuditor({
        config: config.audit,
        store,
        logger,
        ...(metrics
          ? {
              onCommitted: (records) => {
                const chainedAt = Date.parse(records[0]!.recordedAt);
                observe(auditCommitted(records.length, (Date.now() - chainedAt) / 1000));
              },
            }
          : {}),
      });
      const running = started;
      readiness.checks.push(() => running.readiness());
      if (metrics) {
        const observed = observeWriter(started.writer, observe);
        auditPending = observed.pending;
        auditor = { ...started, writer: observed.writer };
      } else {
        auditor = started;
      }
    }
    rateLimitStores = await createRateLimitStores(config, logger);
    if (config.redis.url !== undefined) {
      const stores = rateLimitStores;
      readiness.checks.push(async () =>
        stores.isAvailable() || config.rateLimit.failOpen ? undefined : 'the rate-limit store (Redis) is unreachable',
      );
    }
    if (config.policies.cursorKey === undefined) {
      logger.warn('policies.cursorKey is not set: list cursors are sealed with a key of this process only, so they stop working after a restart and on other replicas', {
        event: 'cursor_key_ephemeral',
      });
    }
    const shared: Shared = {
      logger,
      sources,
      auditor,
      readiness,
      ephemeralCursorKey: randomCursorKey(),
      rateLimitStores,
      limits: rateLimitStages(config.rateLimit, rateLimitStores),
      executor: createExecutor(),
      observe,
      observeRequests: metrics ? observe : undefined,
      inFlight,
      idempotency,
    };
    let serving = await buildServing(config, shared, { catalogs: options.catalogsAhead, contract: options.contractAhead });
    metrics?.watch({
      inFlight: () => inFlight.count(),
      auditPending: () => auditPending?.(),
      pools: () => sources.all().map((s) => ({ source: s.name, ...s.connections.usage() })),
      ready: async () => (await readinessReasons(sources, readiness)).length === 0,
    });

    // Responses open now, so that a shutdown can tell each one to close its connection.
    const open = new Set<ServerResponse>();
    // One shared listener (called with the response as `this`): no closure per request.
    function forget(this: ServerResponse): void {
      open.delete(this);
    }
    const listener: RequestListener = (req, res) => {
      if (draining) res.setHeader('Connection', 'close');
      open.add(res);
      res.on('close', forget);
      serving.app.listener(req, res);
    };

    let reloading: Promise<unknown> = Promise.resolve();
    const reload = (load: () => GatehouseConfig, trigger: ReloadTrigger): Promise<ReloadFinished> => {
      if (draining) {
        const report = reloadFinished({ outcome: 'refused', trigger, changed: [], resourcesAdded: [], resourcesRemoved: [], reasons: ['the gateway is shutting down'] });
        observe(report);
        return Promise.resolve(report);
      }
      // One at a time, in the order asked: each compares with what the one before it left serving.
      const run = reloading.then(async () => {
        const outcome = await reloadOnce(serving, load, trigger, {
          build: (next) => buildServing(next, shared),
          auditor: shared.auditor,
          observe,
        });
        if (outcome.serving) {
          serving = outcome.serving;
          logger.level = serving.config.log.level;
        }
        return outcome.report;
      });
      reloading = run.catch(() => undefined);
      return run;
    };

    const limiterStores = rateLimitStores;
    const keys = idempotency;
    const close = async (): Promise<void> => {
      await limiterStores.close();
      await keys?.close();
      await auditor?.close();
      await store?.destroy();
      await sources.destroy();
    };
    return {
      get app() {
        return serving.app.express;
      },
      listener,
      sources,
      get spec() {
        return serving.spec;
      },
      get config() {
        return serving.config;
      },
      auditor,
      observe,
      inFlight,
      reload,
      drain() {
        draining = true;
        for (const res of open) if (!res.headersSent) res.setHeader('Connection', 'close');
      },
      close,
    };
  } catch (err) {
    await rateLimitStores?.close();
    await idempotency?.close();
    await auditor?.close();
    await store?.destroy().catch(() => undefined);
    await sources.destroy();
    throw err;
  }
}

/** What the first build may take from the reading done while the gateway loaded (a reload reads everything again). */
interface ReadAhead {
  readonly catalogs?: CatalogsReadAhead;
  readonly contract?: Promise<ContractRead | undefined>;
}

/** The start-up checks and the build of everything a configuration decides: contract, bindings, security, app. */
async function buildServing(config: GatehouseConfig, shared: Shared, ahead: ReadAhead = {}): Promise<Serving> {
  const { logger, sources } = shared;
  const spec = await loadSpecFile(config.spec, ahead.contract);
  await checkBindings(spec.resources, spec.operations, sources, ahead.catalogs);
  const security: Security = {
    network: compileNetwork(config.network),
    limits: shared.limits,
    ...(config.auth.disabled
      ? {}
      : {
          verifier: createTokenVerifier(config.auth, shared.observeRequests ? { observe: shared.observeRequests } : {}),
          policy: compilePolicies(config.policies, spec.resources),
        }),
  };
  if (config.auth.disabled) {
    logger.warn('authentication is disabled: every operation of the contract is open on loopback', {
      event: 'auth_disabled',
    });
  }
  const validators = createValidatorFactory();
  // Checked now, so a schema ajv cannot compile fails the start (or the reload), not a request; each compiles on its
  // first use.
  const schemaProblems = validators.check(spec.resources);
  if (schemaProblems.length > 0) throw new SpecError(schemaProblems);
  const app = buildApp({
    config,
    logger,
    sources,
    executor: shared.executor,
    document: spec.document,
    operations: buildOperationIndex(spec.operations),
    validators,
    readiness: shared.readiness,
    auditor: shared.auditor,
    security,
    observe: shared.observeRequests,
    inFlight: shared.inFlight,
    ...(shared.idempotency ? { idempotency: shared.idempotency } : {}),
    cursorKey: config.policies.cursorKey === undefined ? shared.ephemeralCursorKey : cursorKeyFromSecret(config.policies.cursorKey),
  });
  return { config, spec, contractSha256: spec.sha256, app };
}
