// The typed configuration every other module receives; produced only by config/load.ts.

export type SourceClient = 'pg' | 'pglite' | 'mssql';

export interface SourceConfig {
  readonly client: SourceClient;
  /**
   * pg / mssql: a connection URL (`postgres://…`, `mssql://…`).
   * pglite: a data directory, or `memory://` for an in-memory database.
   */
  readonly connection: string;
  readonly pool: { readonly min: number; readonly max: number; readonly acquireTimeoutMs: number };
  readonly statementTimeoutMs: number;
  readonly readOnly: boolean;
  /** Default schema for unqualified table names (pg: public, mssql: dbo). */
  readonly defaultSchema: string | undefined;
}

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  readonly bodyLimitBytes: number;
  readonly requestTimeoutMs: number;
  /** Grace period for in-flight requests on SIGTERM. */
  readonly shutdownGraceMs: number;
}

export interface LimitsConfig {
  readonly defaultPageSize: number;
  readonly maxPageSize: number;
  /** Cap on rows changed by one collection PATCH / DELETE. */
  readonly maxAffected: number;
  /** Rows in one bulk create. */
  readonly maxBulkRows: number;
}

/** A signature algorithm a key is pinned to (never `none`). */
export type JwsAlgorithm =
  | 'HS256' | 'HS384' | 'HS512'
  | 'RS256' | 'RS384' | 'RS512'
  | 'PS256' | 'PS384' | 'PS512'
  | 'ES256' | 'ES384' | 'ES512'
  | 'EdDSA' | 'Ed25519';

export interface JwksConfig {
  /** https (or http on a loopback host) URL of a JWKS; exactly one of url / file. */
  readonly url?: string;
  /** A JWKS file (relative paths are resolved against the config file). */
  readonly file?: string;
  readonly cacheTtlSeconds: number;
  /** Cap on fetches (or file re-reads) that tokens with unknown `kid`s can cause. */
  readonly maxFetchesPerMinute: number;
  readonly timeoutMs: number;
}

/** One verification key: exactly one of secret / publicKey / jwks, and the algorithms it accepts. */
export interface AuthKeyConfig {
  readonly kid?: string;
  readonly algorithms: readonly JwsAlgorithm[];
  readonly secret?: string;
  /** PEM (SPKI) public key: RSA, EC or Ed25519. */
  readonly publicKey?: string;
  readonly jwks?: JwksConfig;
}

export interface AuthIssuerConfig {
  /** Exact `iss` value. */
  readonly issuer: string;
  /** The token's `aud` must contain (one of) these. */
  readonly audience: string | readonly string[];
  readonly keys: readonly AuthKeyConfig[];
  readonly requiredTyp?: string;
  readonly rolesClaim?: string;
}

export interface AuthConfig {
  /** false: a request without a bearer token gets 401. */
  readonly anonymous: boolean;
  readonly issuers: readonly AuthIssuerConfig[];
  readonly clockToleranceSeconds: number;
  readonly requiredTyp?: string;
  /** Dotted claim path holding the roles. */
  readonly rolesClaim: string;
  readonly maxTokenBytes: number;
  readonly cache: { readonly maxEntries: number; readonly maxTtlSeconds: number };
}

/** Source-address rules. Lists hold CIDRs (`10.0.0.0/8`), bare addresses, or zone names. */
export interface NetworkConfig {
  /** Reverse proxies whose X-Forwarded-For is believed; never everything (`0.0.0.0/0`, `::/0` are refused). */
  readonly trustedProxies: readonly string[];
  /** Global source allowlist (default: loopback only). */
  readonly allow: readonly string[];
  /** Named networks (`cloud-vpn`, `onprem`), usable in every list and recorded with each request. */
  readonly zones: Readonly<Record<string, readonly string[]>>;
  /** Per client id: a token with this client id is accepted only from these addresses. */
  readonly clients: Readonly<Record<string, readonly string[]>>;
  /** Per scope: a token holding this scope is accepted only from these addresses. */
  readonly scopes: Readonly<Record<string, readonly string[]>>;
}

export type OperationClass = 'read' | 'write' | 'audit';

export interface RateLimitWindow {
  readonly limit: number;
  readonly windowMs: number;
}

export interface RateLimitConfig {
  readonly enabled: boolean;
  /** Per client address (IPv6 by `ipv6Subnet`), before authentication. */
  readonly coarse: RateLimitWindow;
  /** Per principal and operation class, after authorization. */
  readonly principal: Readonly<Record<OperationClass, RateLimitWindow>>;
  /** Which claim identifies a principal for its budget (`clientId` falls back to the subject). */
  readonly principalKey: 'subject' | 'clientId';
  readonly ipv6Subnet: number;
  /** Store unreachable: true lets requests through unlimited, false answers 503 rate_limiter_unavailable. */
  readonly failOpen: boolean;
}

export interface RedisConfig {
  /** When set, rate-limit counters live in this Redis, shared by every replica. */
  readonly url: string | undefined;
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly keyPrefix: string;
}

export interface GatehouseConfig {
  readonly server: ServerConfig;
  /** OpenAPI document path (relative paths are resolved against the config file). */
  readonly spec: string;
  readonly auth: AuthConfig;
  readonly sources: Readonly<Record<string, SourceConfig>>;
  readonly limits: LimitsConfig;
  readonly network: NetworkConfig;
  readonly rateLimit: RateLimitConfig;
  readonly redis: RedisConfig;
  readonly log: { readonly level: 'error' | 'warn' | 'info' | 'debug'; readonly requests: boolean };
}
