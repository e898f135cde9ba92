// For authentication tests: a tiny express app (the pipeline's context, address and authenticate stages → whoami →
// the problem handler), keys and tokens.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { SignJWT, type JWTPayload, type JWSHeaderParameters } from 'jose';
import type { KeyObject } from 'node:crypto';
import type { AuthObservation } from '../../src/auth/auth-observation.js';
import { createTokenVerifier, type TokenVerifier, type TokenVerifierDeps } from '../../src/auth/token-verifier.js';
import { loadConfig } from '../../src/config/load.js';
import type { AuthConfig } from '../../src/config/types.js';
import { ownErrorHandler } from '../../src/http/own-errors.js';
import { beginOwnRequest, ownRequest, stageMiddleware } from '../../src/http/own-request.js';
import { compileNetwork } from '../../src/net/network-policy.js';
import { createLogger } from '../../src/observability/logger.js';
import { resolveAddressStage } from '../../src/pipeline/address.js';
import { authenticateStage } from '../../src/pipeline/authenticate.js';
import { principalOf } from '../../src/pipeline/exchange.js';
import { incomingStage } from '../../src/pipeline/incoming.js';

export const ISSUER = 'https://idp.test.example';
export const AUDIENCE = 'gatehouse';
export const SECRET = 'test-secret-0123456789-abcdefghij-KLMNOP';

/** The `auth:` section as gatehouse.yaml would hold it, through the real loader (defaults, validation). */
export function authConfig(raw: Record<string, unknown>, baseDir?: string): AuthConfig {
  return loadConfig({
    raw: { spec: 'unused.yaml', sources: { erp: { client: 'pglite', connection: 'memory://' } }, auth: raw },
    env: {},
    baseDir,
  }).auth;
}

export function hmacAuth(extra: Record<string, unknown> = {}, issuerExtra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    issuers: [{ issuer: ISSUER, audience: AUDIENCE, keys: [{ algorithms: ['HS256'], secret: SECRET }], ...issuerExtra }],
    ...extra,
  };
}

export interface AuthApp {
  readonly app: express.Express;
  readonly verifier: TokenVerifier;
  readonly config: AuthConfig;
  /** Everything the verifier reported, in order. */
  readonly events: AuthObservation[];
}

/** GET /whoami answers the principal the middleware set (null when anonymous). */
export function authApp(raw: Record<string, unknown>, deps: Omit<TokenVerifierDeps, 'observe'> = {}, baseDir?: string): AuthApp {
  const config = authConfig(raw, baseDir);
  const events: AuthObservation[] = [];
  const verifier = createTokenVerifier(config, { ...deps, observe: (e) => events.push(e) });
  const app = express();
  const network = loadConfig({ raw: { spec: 'unused.yaml', sources: { erp: { client: 'pglite', connection: 'memory://' } } }, env: {} }).network;
  app.use(beginOwnRequest(incomingStage(undefined), () => false));
  app.use(stageMiddleware(resolveAddressStage(compileNetwork(network))));
  app.use(stageMiddleware(authenticateStage(verifier, config)));
  app.get('/whoami', (_req, res) => {
    const p = principalOf(ownRequest(res).reached);
    res.json(
      p === undefined
        ? null
        : { subject: p.subject, clientId: p.clientId ?? null, scopes: [...p.scopes].sort(), roles: [...p.roles].sort(), tokenId: p.tokenId ?? null, claims: p.claims },
    );
  });
  app.use(ownErrorHandler(createLogger({ level: 'error', silent: true })));
  return { app, verifier, config, events };
}

export function verifiedCount(events: readonly AuthObservation[], cached: boolean): number {
  return events.filter((e) => e.type === 'token_verified' && e.cached === cached).length;
}

export interface TokenSpec {
  readonly header?: Partial<JWSHeaderParameters>;
  readonly claims?: JWTPayload;
  /** Seconds from now; null leaves `exp` out. Default 600. */
  readonly expiresIn?: number | null;
  readonly omit?: readonly ('iss' | 'aud' | 'sub')[];
}

/** A token for the test issuer, signed with `key`; every default can be overridden to build an attack. */
export async function sign(key: KeyObject | Uint8Array, alg: string, spec: TokenSpec = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: JWTPayload = { iss: ISSUER, aud: AUDIENCE, sub: 'alice', iat: now, ...spec.claims };
  const expiresIn = spec.expiresIn === undefined ? 600 : spec.expiresIn;
  if (expiresIn !== null && claims.exp === undefined) claims.exp = now + expiresIn;
  for (const name of spec.omit ?? []) delete claims[name];
  return new SignJWT(claims).setProtectedHeader({ alg, ...spec.header }).sign(key);
}

/** Hand-assembled compact JWS, for headers jose refuses to produce (`alg: none`). */
export function rawToken(header: object, claims: object, signature = ''): string {
  const part = (v: object): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  return `${part(header)}.${part(claims)}.${signature}`;
}

export interface CountingServer {
  readonly url: string;
  /** Requests received so far. */
  count(): number;
  close(): Promise<void>;
}

/** A loopback HTTP server that counts every request and answers with `respond`. */
export async function countingServer(respond: (req: IncomingMessage, res: ServerResponse) => void): Promise<CountingServer> {
  let requests = 0;
  const server: Server = createServer((req, res) => {
    requests += 1;
    respond(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    count: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}
