// Publishes this instance's name by RFC 2136 and keeps it true: register, refresh, follow address changes, withdraw.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Rfc2136Config } from '../../config/types.js';
import type { Logger } from '../../observability/logger.js';
import type { PublishedView, Registrar, RegistrationError, RegistrationState, RegistrationStatus } from '../registrar.js';
import { DnsRequestError } from './dns-request-error.js';
import { isStale, parseClaim, type InstanceClaim } from './instance-claim.js';
import { planUpdate, type PublishedName, type UpdatePlan } from './plan-update.js';
import { createRfc2136Client, type Rfc2136Client } from './rfc2136-client.js';
import { recordText } from './zone-text.js';

export interface Rfc2136RegistrarOptions {
  /** Fully qualified, with the trailing dot. */
  readonly name: string;
  readonly rfc2136: Rfc2136Config;
  readonly ttl: number;
  readonly refreshSeconds: number;
  readonly instanceId: string;
  /** The addresses to publish now; called on every refresh and address check. */
  readonly addresses: () => readonly string[];
  readonly logger: Logger;
  /** How often the addresses are compared with what was published (default 5 s, never more than the refresh). */
  readonly addressCheckMs?: number;
  /** Upper bound on stop()'s withdrawal, so a dead DNS server cannot hold up a shutdown (default 10 s). */
  readonly stopDeadlineMs?: number;
  readonly client?: Rfc2136Client;
  readonly nowSeconds?: () => number;
}

/** Another replica changed the claims between our read and our update this many times in a row: give up for now. */
const MAX_CONFLICT_ROUNDS = 10;

export function createRfc2136Registrar(options: Rfc2136RegistrarOptions): Registrar {
  const now = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  const { logger } = options;
  const client =
    options.client ??
    createRfc2136Client({
      server: options.rfc2136.server,
      zone: options.rfc2136.zone,
      key: { ...options.rfc2136.tsig, secret: Buffer.from(options.rfc2136.tsig.secret, 'base64') },
      timeoutMs: options.rfc2136.timeoutMs,
      attempts: options.rfc2136.attempts,
      backoffMs: options.rfc2136.backoffMs,
      nowSeconds: now,
    });
  const target: PublishedName = { name: options.name, srvName: `_gatehouse._tcp.${options.name}`, ttl: options.ttl };
  const refreshMs = options.refreshSeconds * 1000;
  const addressCheckMs = Math.min(options.addressCheckMs ?? 5000, refreshMs);
  const base = { registrar: 'rfc2136' as const, name: options.name, instance: options.instanceId, server: client.serverLabel };

  let state: RegistrationState = 'starting';
  let port: number | undefined;
  let lastAttemptAt: string | undefined;
  let lastSuccessAt: string | undefined;
  let lastError: RegistrationError | undefined;
  let consecutiveFailures = 0;
  let records: readonly string[] = [];
  let publishedAddresses: string | undefined;
  let running = false;
  let refreshTimer: NodeJS.Timeout | undefined;
  let addressTimer: NodeJS.Timeout | undefined;
  // One update at a time: a refresh, an address change and stop() queue behind each other.
  let queue: Promise<unknown> = Promise.resolve();

  const currentAddresses = (): string[] => [...new Set(options.addresses())].sort();

  /** Read the claims, plan, update; on a concurrent change (a failed prerequisite) read again. */
  async function apply(self: InstanceClaim | undefined): Promise<UpdatePlan> {
    for (let round = 1; ; round++) {
      const txt = (await client.query(target.name, 'TXT')).map((a) => a.data as Buffer[]);
      const plan = planUpdate({ target, instance: options.instanceId, self, txt, nowSeconds: now() });
      if (plan.updates.length === 0) return plan;
      try {
        await client.update(plan.prerequisites, plan.updates, target.name);
        return plan;
      } catch (err) {
        if (!(err instanceof DnsRequestError) || !err.conflict || round >= MAX_CONFLICT_ROUNDS) throw err;
        await sleep(Math.round(Math.random() * 50 * round));
      }
    }
  }

  function describe(err: unknown): RegistrationError {
    const at = new Date().toISOString();
    if (err instanceof DnsRequestError) {
      const { rcode, tsigError } = err.detail;
      return { at, message: err.message, ...(rcode ? { rcode } : {}), ...(tsigError ? { tsigError } : {}) };
    }
    return { at, message: err instanceof Error ? err.message : String(err) };
  }

  async function publish(): Promise<void> {
    if (port === undefined) throw new Error('register: no port to publish');
    const addresses = currentAddresses();
    lastAttemptAt = new Date().toISOString();
    try {
      if (addresses.length === 0) throw new Error('no address to publish: this host has no non-loopback address; set discovery.addresses');
      const plan = await apply({ instance: options.instanceId, addresses, port, seen: now(), refreshSeconds: options.refreshSeconds });
      const previous = state;
      records = plan.published.map(recordText);
      publishedAddresses = addresses.join(',');
      lastSuccessAt = new Date().toISOString();
      consecutiveFailures = 0;
      state = 'registered';
      if (plan.retired.length > 0) {
        logger.info('dns: removed the records of replicas that stopped refreshing', { event: 'dns_claims_retired', name: target.name, instances: plan.retired });
      }
      if (previous !== 'registered') {
        logger.info('dns: registered', { event: 'dns_registered', ...base, previous, records, ...(previous === 'failing' ? { recoveredFrom: lastError?.message } : {}) });
      } else {
        logger.debug('dns: refreshed', { event: 'dns_refreshed', ...base });
      }
    } catch (err) {
      const error = describe(err);
      const repeated = state === 'failing' && lastError?.message === error.message;
      lastError = error;
      consecutiveFailures += 1;
      state = 'failing';
      // The same failure on every retry is logged once (status() counts them); the gateway keeps serving.
      if (!repeated) logger.warn(`dns: registration failed: ${error.message}`, { event: 'dns_registration_failed', ...base, ...error });
      throw err;
    }
  }

  async function withdraw(): Promise<void> {
    lastAttemptAt = new Date().toISOString();
    try {
      await apply(undefined);
      state = 'deregistered';
      records = [];
      publishedAddresses = undefined;
      lastSuccessAt = new Date().toISOString();
      logger.info('dns: deregistered', { event: 'dns_deregistered', ...base });
    } catch (err) {
      lastError = describe(err);
      logger.warn(`dns: deregistration failed: ${lastError.message}`, { event: 'dns_deregistration_failed', ...base, ...lastError });
      throw err;
    }
  }

  function enqueue<T>(work: () => Promise<T>): Promise<T> {
    const next = queue.then(work);
    queue = next.catch(() => undefined);
    return next;
  }

  function schedule(delayMs: number): void {
    clearTimeout(refreshTimer);
    if (!running) return;
    refreshTimer = setTimeout(() => void cycle(), delayMs);
    refreshTimer.unref();
  }

  async function cycle(): Promise<void> {
    await enqueue(publish).then(
      () => schedule(refreshMs),
      // Failing: retry soon (1 s, 2 s, 4 s, … up to the refresh interval), with jitter so replicas spread out.
      () => schedule(Math.min(refreshMs, 1000 * 2 ** Math.min(consecutiveFailures - 1, 16)) * (0.75 + Math.random() / 2)),
    );
  }

  function checkAddresses(): void {
    if (!running || publishedAddresses === undefined) return;
    const addresses = currentAddresses().join(',');
    if (addresses === publishedAddresses) return;
    logger.info('dns: addresses changed', { event: 'dns_addresses_changed', ...base, from: publishedAddresses, to: addresses });
    publishedAddresses = addresses;
    void cycle();
  }

  return {
    start(listenPort) {
      if (running) return;
      running = true;
      port = listenPort;
      addressTimer = setInterval(checkAddresses, addressCheckMs);
      addressTimer.unref();
      void cycle();
    },
    async register(listenPort) {
      port = listenPort;
      await enqueue(publish);
    },
    async deregister() {
      await enqueue(withdraw);
    },
    async stop() {
      if (!running) return;
      running = false;
      clearTimeout(refreshTimer);
      clearInterval(addressTimer);
      // Nothing was ever published by this process: no need to make a shutdown wait on an unreachable server.
      if (lastSuccessAt === undefined && state !== 'registered') {
        await queue;
        if (lastSuccessAt === undefined) return;
      }
      const deadline = options.stopDeadlineMs ?? 10_000;
      const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), deadline).unref());
      const outcome = await Promise.race([enqueue(withdraw).then(() => 'done' as const, () => 'failed' as const), timer]);
      if (outcome === 'timeout') {
        logger.warn('dns: deregistration did not finish in time; the records stay until another replica retires them', {
          event: 'dns_deregistration_failed', ...base, deadlineMs: deadline,
        });
      }
    },
    status(): RegistrationStatus {
      return {
        ...base,
        state,
        ...(lastAttemptAt ? { lastAttemptAt } : {}),
        ...(lastSuccessAt ? { lastSuccessAt } : {}),
        ...(lastError ? { lastError } : {}),
        consecutiveFailures,
        records,
      };
    },
    async lookup(): Promise<PublishedView> {
      const [a, aaaa, txt, srv] = await Promise.all([
        client.query(target.name, 'A'),
        client.query(target.name, 'AAAA'),
        client.query(target.name, 'TXT'),
        client.query(target.srvName, 'SRV'),
      ]);
      const at = now();
      const instances = txt.flatMap((r) => {
        const claim = parseClaim(r.data as Buffer[]);
        if (!claim) return [];
        const lastSeen = new Date(claim.seen * 1000).toISOString();
        return [{ instance: claim.instance, addresses: claim.addresses, port: claim.port, lastSeen, stale: isStale(claim, at) }];
      });
      return { name: target.name, records: [...a, ...aaaa, ...srv, ...txt].map(recordText), instances };
    },
  };
}
