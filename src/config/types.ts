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
  /** SQL Server only: TLS, named instance and sign-in (the connection string may set the first three too). */
  readonly mssql?: MssqlOptions;
}

export type MssqlAuthentication =
  | { readonly type: 'default' }
  /** Windows authentication (NTLM): the connection's user and password in this domain. */
  | { readonly type: 'ntlm'; readonly domain: string }
  /** Microsoft Entra ID with the connection's user and password. */
  | { readonly type: 'azure-active-directory-password'; readonly clientId: string; readonly tenantId?: string }
  | { readonly type: 'azure-active-directory-service-principal-secret'; readonly clientId: string; readonly clientSecret: string; readonly tenantId: string }
  /** A managed identity of the VM or pod; clientId picks a user-assigned one. */
  | { readonly type: 'azure-active-directory-msi-vm'; readonly clientId?: string }
  | { readonly type: 'azure-active-directory-default'; readonly clientId?: string }
  | { readonly type: 'azure-active-directory-access-token'; readonly token: string };

export interface MssqlOptions {
  /** TLS: true (the default), false, or 'strict' (TDS 8: TLS before anything else). */
  readonly encrypt?: boolean | 'strict';
  /** Accept a server certificate no trusted CA signed (development servers only). */
  readonly trustServerCertificate?: boolean;
  /** A named instance (`host\SQLEXPRESS`), found through the SQL Server Browser service. */
  readonly instanceName?: string;
  readonly appName?: string;
  readonly authentication?: MssqlAuthentication;
}

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  readonly bodyLimitBytes: number;
  readonly requestTimeoutMs: number;
  /**
   * After SIGTERM (and the delay below), how long requests in flight may take to finish before their connections
   * are cut. Reloadable.
   */
  readonly shutdownGraceMs: number;
  /**
   * After SIGTERM, how long the gateway keeps serving with /readyz answering 503 (and every response carrying
   * `Connection: close`) before it stops accepting connections: the time a load balancer or a Kubernetes Service
   * needs to stop sending new requests. 0 outside such a setup. Reloadable.
   */
  readonly shutdownDelayMs: number;
  /**
   * How often (ms) the configuration file and the OpenAPI document are checked for changes, each change reloading
   * them as SIGHUP does; 0: only SIGHUP reloads. For a Kubernetes ConfigMap mounted as a directory.
   */
  readonly watchConfigMs: number;
}

/** Prometheus metrics, served on a listener of their own (never the data port). */
export interface MetricsConfig {
  readonly enabled: boolean;
  readonly host: string;
  readonly port: number;
  /** The scrape path on that listener. */
  readonly path: string;
}

export interface LimitsConfig {
  readonly defaultPageSize: number;
  readonly maxPageSize: number;
  /** Cap on rows changed by one collection PATCH / DELETE. */
  readonly maxAffected: number;
  /** Rows in one bulk create. */
  readonly maxBulkRows: number;
  /** Rows fetched per statement while streaming an export (`limit=all`). */
  readonly exportBatchRows: number;
}

export type FilterOpName = 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte' | 'in' | 'is' | 'like' | 'ilike';
export type MaskMode = 'full' | 'partial' | 'hash';
export type PolicyOperation =
  | 'read'
  | 'write'
  | 'list'
  | 'get'
  | 'create'
  | 'update'
  | 'replace'
  | 'delete'
  | 'updateMany'
  | 'deleteMany'
  /** `limit=all` on a list answered as NDJSON / CSV: every matching row, streamed. Never implied by `read`. */
  | 'export';

export interface PolicyRuleConfig {
  readonly name: string;
  readonly description?: string;
  /** The rule applies to a principal holding any of these scopes, roles or client ids (at least one list given). */
  readonly scopes?: readonly string[];
  readonly roles?: readonly string[];
  readonly clients?: readonly string[];
  /** Resource name (the collection path without its slash), or `*`. */
  readonly resource: string;
  /** Operation kinds; `read` = list + get, `write` = every change. Default: read. */
  readonly operations?: readonly PolicyOperation[];
  readonly columns?: { readonly read?: readonly string[]; readonly write?: readonly string[] };
  /** Row rule: `{ column: { op: value } }`, AND-ed; values may be `{claims.name}`. */
  readonly rows?: Readonly<Record<string, Readonly<Partial<Record<FilterOpName, unknown>>>>>;
  /** Values forced on insert; may be `{claims.name}`. */
  readonly force?: Readonly<Record<string, unknown>>;
  readonly mask?: Readonly<Record<string, MaskMode>>;
  readonly maxAffected?: number;
}

export interface PoliciesConfig {
  readonly maskKey?: string;
  /**
   * Secret that seals keyset cursors (`${file:…}` in production), the same on every replica. Absent: a random key
   * per process, so cursors do not survive a restart and another replica refuses them.
   */
  readonly cursorKey?: string;
  readonly rules: readonly PolicyRuleConfig[];
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
  /** true: no authentication and no policies; refused unless the server listens on loopback. */
  readonly disabled: boolean;
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

export interface GatehouseConfig {
  readonly server: ServerConfig;
  /** OpenAPI document path (relative paths are resolved against the config file). */
  readonly spec: string;
  readonly policies: PoliciesConfig;
  readonly auth: AuthConfig;
  readonly sources: Readonly<Record<string, SourceConfig>>;
  readonly limits: LimitsConfig;
  readonly network: NetworkConfig;
  readonly rateLimit: RateLimitConfig;
  readonly redis: RedisConfig;
  readonly log: { readonly level: 'error' | 'warn' | 'info' | 'debug'; readonly requests: boolean };
  readonly metrics: MetricsConfig;
  /** The gateway's own database (audit events, checkpoints); absent: none. */
  readonly store?: StoreConfig;
  /** The audit log; absent: off. Needs `store`. */
  readonly audit?: AuditConfig;
  /** Publishing the gateway's name in DNS for cloud callers. */
  readonly discovery: DiscoveryConfig;
  /** The migration-candidate report. */
  readonly report: ReportConfig;
  /** Idempotency-Key on writes (needs `store`). */
  readonly idempotency: IdempotencyConfig;
}

export interface IdempotencyConfig {
  /** How long a key's first answer is kept: a number and s, m, h or d (`24h`). */
  readonly ttl: string;
  readonly sweepIntervalMs: number;
}

export interface ReportThresholds {
  readonly retireMaxRequests: number;
  readonly minRequests: number;
  readonly migrateCloudShare: number;
  readonly migrateMaxOnPremWriteShare: number;
  readonly replicateCloudReadShare: number;
  readonly replicateOnPremWriteShare: number;
  readonly sensitiveMaxCloudReadShare: number;
}

export interface ReportConfig {
  /** Zone names counted as cloud; undefined: every zone whose name starts with `cloud`. */
  readonly cloudZones?: readonly string[];
  /** Window when none is given (`30d`). */
  readonly defaultSince: string;
  readonly thresholds: ReportThresholds;
  readonly coAccess: { readonly minSharedMinutes: number; readonly minShare: number };
  readonly statementTimeoutMs: number;
}

export interface StoreConfig {
  readonly client: 'pg' | 'pglite';
  /** pg: a connection URL; pglite: a data directory, or `memory://`. */
  readonly connection: string;
  readonly pool: { readonly min: number; readonly max: number; readonly acquireTimeoutMs: number };
  readonly statementTimeoutMs: number;
  /** Run pending migrations at start-up. */
  readonly migrate: boolean;
}

export interface AuditConfig {
  /** strict: responses wait for their event to be durable; buffered: events may be lost in a crash. */
  readonly mode: 'strict' | 'buffered';
  /** This instance's hash chain; default: the host name. */
  readonly instanceId?: string;
  readonly queueSize: number;
  readonly groupCommit: { readonly maxBatch: number; readonly maxWaitMs: number; readonly maxInFlight: number };
  readonly checkpoint: { readonly everyEvents: number; readonly everyMs: number };
  /** Ed25519 private key, PKCS#8 PEM (resolved from a secret reference). Absent: a key made for this process only. */
  readonly signingKey?: string;
  /** Further trusted Ed25519 public keys (SPKI PEM). */
  readonly trustedKeys: readonly string[];
  readonly retention: { readonly days?: number; readonly intervalMs: number };
  readonly sink: { readonly stdout: boolean; readonly file?: string };
  /** Where signed checkpoints are also published, outside the store (besides the sink). */
  readonly witness: { readonly file?: string };
  readonly includeHealth: boolean;
  /** Strict mode: how long a committed write's answer waits for a failed store before 503 audit_unavailable_after_write. */
  readonly writeHoldMs: number;
}

export interface DnsServerConfig {
  readonly host: string;
  readonly port: number;
}

export type TsigAlgorithmName = 'hmac-sha256' | 'hmac-sha384' | 'hmac-sha512' | 'hmac-sha224' | 'hmac-sha1' | 'hmac-md5';

export interface Rfc2136Config {
  /** The zone's primary, which accepts the updates. */
  readonly server: DnsServerConfig;
  /** Fully qualified, lower-case, with the trailing dot. */
  readonly zone: string;
  readonly tsig: { readonly name: string; readonly algorithm: TsigAlgorithmName; readonly secret: string };
  readonly timeoutMs: number;
  readonly attempts: number;
  readonly backoffMs: number;
}

export interface DiscoveryConfig {
  readonly registrar: 'none' | 'rfc2136';
  /** Fully qualified, lower-case, with the trailing dot; required with rfc2136. */
  readonly name?: string;
  /** Absent: this host's non-loopback interface addresses, re-read on every refresh. */
  readonly addresses?: readonly string[];
  /** The SRV record's port; absent: the port the server listens on. */
  readonly port?: number;
  readonly ttl: number;
  readonly refreshSeconds: number;
  readonly instanceId?: string;
  /** The on-prem DNS servers cloud resolvers forward the zone to; absent: rfc2136.server. */
  readonly resolvers?: readonly DnsServerConfig[];
  readonly rfc2136?: Rfc2136Config;
}
