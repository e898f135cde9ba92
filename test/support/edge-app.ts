// A small express app built from the gateway's edge stages (context, client address, rate limits, error handler), listening on loopback.
import http, { type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { ClientAddress } from '../../src/auth/principal.js';
import type { GatehouseConfig, OperationClass } from '../../src/config/types.js';
import { ownErrorHandler } from '../../src/http/own-errors.js';
import { beginOwnRequest, ownRequest, stageMiddleware } from '../../src/http/own-request.js';
import { compileNetwork } from '../../src/net/network-policy.js';
import { createLogger } from '../../src/observability/logger.js';
import { allowlistStage, resolveAddressStage } from '../../src/pipeline/address.js';
import { AUTH_DISABLED, clientOf, type Addressed, type Authenticated } from '../../src/pipeline/exchange.js';
import { incomingStage } from '../../src/pipeline/incoming.js';
import { classOfMethod, coarseLimitStage, principalLimitStage } from '../../src/pipeline/rate-limit.js';
import type { RateLimitStores } from '../../src/ratelimit/rate-limit-stores.js';

export interface Seen {
  readonly status: number;
  readonly client: ClientAddress | undefined;
  readonly deniedBy: string | undefined;
}

export interface EdgeAppOptions {
  readonly config: GatehouseConfig;
  /** When given, the coarse limiter (after clientAddress) and the principal limiter run. */
  readonly stores?: RateLimitStores;
  readonly operationClass?: OperationClass;
  /** Listen address (default 127.0.0.1). */
  readonly host?: string;
}

export interface EdgeResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
}

export interface RequestOptions {
  readonly method?: 'GET' | 'POST';
  readonly localAddress?: string;
  readonly headers?: OutgoingHttpHeaders;
  readonly timeoutMs?: number;
}

export interface EdgeApp {
  readonly port: number;
  /** What the pipeline recorded for each finished request, in order. */
  readonly seen: Seen[];
  /**
   * Requests `path` (GET unless told) from a chosen loopback source address (`localAddress`, e.g. 127.0.0.2), so tests
   * control the socket peer. Header values may be arrays: each element is sent as its own header line.
   */
  get(path: string, options?: RequestOptions): Promise<EdgeResponse>;
  close(): Promise<void>;
}

export async function startEdgeApp(options: EdgeAppOptions): Promise<EdgeApp> {
  const { config } = options;
  const seen: Seen[] = [];
  const app = express();
  app.set('etag', false);
  app.use(beginOwnRequest(incomingStage(undefined), () => false));
  app.use((_req, res, next) => {
    res.on('finish', () => {
      const state = ownRequest(res);
      seen.push({ status: res.statusCode, client: clientOf(state.reached), deniedBy: state.error?.deniedBy });
    });
    next();
  });
  const network = compileNetwork(config.network);
  app.use(stageMiddleware(resolveAddressStage(network)));
  app.use(stageMiddleware(allowlistStage(network)));
  if (options.stores) {
    app.use(stageMiddleware(coarseLimitStage(config.rateLimit, options.stores)));
    // Stands in for authentication: the tests choose the principal; tokens are tested elsewhere.
    app.use(
      stageMiddleware((x: Addressed): Authenticated => {
        const subject = x.headers['x-test-subject'];
        if (typeof subject !== 'string') return { ...x, caller: AUTH_DISABLED };
        return { ...x, caller: { subject, clientId: undefined, scopes: new Set(), roles: new Set(), tokenId: undefined, claims: {} } };
      }),
    );
    const principalLimit = principalLimitStage(config.rateLimit, options.stores);
    app.use(stageMiddleware((x: Authenticated) => principalLimit(x, options.operationClass ?? classOfMethod(x.method))));
  }
  app.all('/whoami', (_req, res) => {
    res.json({ client: clientOf(ownRequest(res).reached) });
  });
  app.use(ownErrorHandler(createLogger({ level: 'error', silent: true })));

  const server = http.createServer(app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host ?? '127.0.0.1', resolve);
  });
  const { port, address } = server.address() as AddressInfo;
  return {
    port,
    seen,
    get: (path, requestOptions = {}) =>
      new Promise((resolve, reject) => {
        const req = http.request(
          {
            host: address,
            port,
            path,
            method: requestOptions.method ?? 'GET',
            localAddress: requestOptions.localAddress,
            headers: requestOptions.headers,
            agent: false,
            timeout: requestOptions.timeoutMs ?? 10_000,
          },
          (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => (text += chunk));
            res.on('end', () => {
              resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} });
            });
          },
        );
        req.on('timeout', () => req.destroy(new Error(`no response within ${requestOptions.timeoutMs ?? 10_000} ms`)));
        req.on('error', reject);
        req.end();
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
