// The one test gateway: `testConfig()` holds the test defaults (loopback, no auth, no rate limits, quiet logs, the ERP
// contract on in-memory PGlite), `startGateway()` seeds its source and serves it on 127.0.0.1.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { cp, mkdtemp } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import supertest from 'supertest';
import type { Auditor } from '../../src/audit/auditor.js';
import { loadConfig } from '../../src/config/load.js';
import type { GatehouseConfig } from '../../src/config/types.js';
import { createDataSources, type DataSource } from '../../src/db/sources.js';
import { seedErp } from '../../src/demo/erp-schema.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { createLogger } from '../../src/observability/logger.js';
import { door } from './doors.js';
import { freshMssqlDatabase, testMssql } from './mssql-env.js';
import { freshDatabase, testPostgres } from './pg-env.js';
import { ERP_SPEC, projectRoot } from './project.js';

/** A data source for a test gateway; PGlite is in memory unless `dataDir` names its directory. */
export type TestSource =
  | { readonly client: 'pg'; readonly url: string }
  | { readonly client: 'mssql'; readonly url: string }
  | { readonly client: 'pglite'; readonly dataDir?: string };

/** The audit store: a PostgreSQL URL, or a PGlite data directory. */
export type TestStore = string | { readonly pglite: string };

export interface TestConfigOptions {
  /** The data source (default: in-memory PGlite). */
  readonly source?: TestSource;
  /** Name the spec's bindings use for the source (default `erp`). */
  readonly sourceName?: string;
  /** Extra raw keys for the source (pool, statementTimeoutMs, …). */
  readonly sourceOptions?: Record<string, unknown>;
  /** OpenAPI document path (default: the ERP demo contract). */
  readonly spec?: string;
  /** The audit store; with one, the audit log is on (strict, no stdout sink, instance `test-instance`). */
  readonly store?: TestStore;
  readonly storeOptions?: Record<string, unknown>;
  /** Raw `audit:` keys, over the test defaults above. */
  readonly audit?: Record<string, unknown>;
  /** Raw `server:` keys, over 127.0.0.1 and port 0. */
  readonly server?: Record<string, unknown>;
  /** Raw `limits:` block. */
  readonly limits?: Record<string, unknown>;
  /** Raw `auth:` section, replacing the default `{ disabled: true }`. */
  readonly auth?: Record<string, unknown>;
  /** Further raw top-level sections (policies, network, rateLimit, …), replacing the defaults. */
  readonly extra?: Record<string, unknown>;
}

/** A gateway configuration through the real loader, with the test defaults. */
export function testConfig(options: TestConfigOptions = {}): GatehouseConfig {
  const source = options.source ?? { client: 'pglite' };
  const connection = source.client === 'pglite' ? (source.dataDir ?? 'memory://') : source.url;
  const store =
    options.store === undefined
      ? undefined
      : typeof options.store === 'string'
        ? { client: 'pg', connection: options.store, ...options.storeOptions }
        : { client: 'pglite', connection: options.store.pglite, ...options.storeOptions };
  return loadConfig({
    raw: {
      server: { host: '127.0.0.1', port: 0, ...options.server },
      spec: options.spec ?? ERP_SPEC,
      sources: { [options.sourceName ?? 'erp']: { client: source.client, connection, ...options.sourceOptions } },
      limits: options.limits ?? {},
      log: { level: 'error', requests: false },
      ...(store ? { store, audit: { sink: { stdout: false }, instanceId: 'test-instance', ...options.audit } } : {}),
      // The CRUD core is tested without authentication or limits; the security suites turn them on.
      auth: options.auth ?? { disabled: true },
      rateLimit: { enabled: false },
      ...options.extra,
    },
    env: {},
    baseDir: projectRoot,
  });
}

export interface StartGatewayOptions {
  readonly config: GatehouseConfig;
  /** Runs on the (first) source's knex before the spec's bindings are checked (e.g. `seedErp`). */
  readonly seed?: (db: Knex) => Promise<unknown>;
  /** Runs after the seed, before the gateway starts (e.g. writing the contract from the source, as `gatehouse init` does). */
  readonly beforeStart?: (source: DataSource) => Promise<unknown>;
}

export interface TestGateway {
  readonly gateway: Gateway;
  readonly config: GatehouseConfig;
  /** The gateway's own knex for the source: for setting up and checking data behind the API's back. */
  readonly db: Knex;
  /** A supertest client for the gateway, listening on 127.0.0.1 on a free port. */
  readonly http: supertest.Agent;
  /** The audit log (throws when the configuration has no store). */
  readonly auditor: Auditor;
  /** A connection of the test's own to the audit store, for looking behind the API's back (throws without a store). */
  readonly storeDb: Knex;
  close(): Promise<void>;
}

export async function startGateway(options: StartGatewayOptions): Promise<TestGateway> {
  const { config } = options;
  const sources = createDataSources(config.sources);
  const source = sources.get(Object.keys(config.sources)[0]!)!;
  const { db } = source;
  try {
    if (options.seed) await options.seed(db);
    if (options.beforeStart) await options.beforeStart(source);
  } catch (err) {
    await sources.destroy();
    throw err;
  }
  const gateway = await createGateway(config, createLogger({ level: 'error', silent: true }), { sources });
  const server: Server = createServer(door(gateway)).listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  // A PGlite store holds its directory exclusively, so the test reads it through the gateway's own knex.
  const ownStoreDb =
    config.store?.client === 'pg' ? knex({ client: 'pg', connection: config.store.connection, pool: { min: 0, max: 2 } }) : undefined;
  const noStore = (): never => assert.fail('this test gateway has no audit store: give testConfig({ store })');
  return {
    gateway,
    config,
    db,
    http: supertest.agent(`http://127.0.0.1:${port}`),
    get auditor() {
      return gateway.auditor ?? noStore();
    },
    get storeDb() {
      return ownStoreDb ?? gateway.auditor?.store.db ?? noStore();
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await gateway.close();
      await ownStoreDb?.destroy();
    },
  };
}

const erpTemplates = new Map<number, Promise<string>>();
/** Data directories made here, removed when the test process exits (a copy is cheap to leave until then). */
const madeDirs = new Set<string>();

async function madeDir(prefix: string): Promise<string> {
  if (madeDirs.size === 0) process.once('exit', () => madeDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  madeDirs.add(dir);
  return dir;
}

/**
 * A PGlite source holding the ERP demo data (`seedErp` at `scale`), opened from a private copy of a data directory
 * seeded once per test process: a fresh PGlite spends seconds in initdb, a copy opens in a fraction of that. For
 * suites that start several gateways on the same data.
 */
export async function erpPglite(options: { scale?: number } = {}): Promise<TestSource> {
  const scale = options.scale ?? 1;
  let template = erpTemplates.get(scale);
  if (!template) {
    template = (async () => {
      const dir = await madeDir('gatehouse-erp-template-');
      const sources = createDataSources(testConfig({ source: { client: 'pglite', dataDir: dir } }).sources);
      try {
        await seedErp(sources.get('erp')!.db, { scale });
      } finally {
        await sources.destroy();
      }
      return dir;
    })();
    erpTemplates.set(scale, template);
  }
  const dataDir = await madeDir('gatehouse-erp-');
  await cp(await template, dataDir, { recursive: true });
  return { client: 'pglite', dataDir };
}

/**
 * A database the same suite runs against: in-memory PGlite, the runner's real PostgreSQL, and its SQL Server endpoint
 * (Babelfish, or the server MSSQL_URL names).
 */
export interface Backend {
  readonly name: string;
  readonly dialect: 'postgres' | 'mssql';
  /** For SQL Server: whether the endpoint is Babelfish or Microsoft's server (some behaviours differ; see docs/sql-server.md). */
  readonly server: 'postgres' | 'babelfish' | 'sqlserver';
  /** Why this backend's suite is skipped, or undefined. */
  readonly skip: string | undefined;
  source(prefix: string): Promise<TestSource>;
}

export function backends(): Backend[] {
  const pg = testPostgres();
  const mssql = testMssql();
  const all: Backend[] = [
    { name: 'PGlite', dialect: 'postgres', server: 'postgres', skip: undefined, source: async () => ({ client: 'pglite' }) },
    {
      name: 'PostgreSQL',
      dialect: 'postgres',
      server: 'postgres',
      skip: 'skip' in pg ? pg.skip : undefined,
      source: async (prefix) => ({ client: 'pg', url: await freshDatabase(prefix) }),
    },
    {
      name: 'SQL Server',
      dialect: 'mssql',
      server: 'skip' in mssql ? 'sqlserver' : mssql.kind,
      skip: 'skip' in mssql ? mssql.skip : undefined,
      source: async (prefix) => ({ client: 'mssql', url: await freshMssqlDatabase(prefix) }),
    },
  ];
  return viaExpressDoor() ? all.filter((b) => b.dialect !== 'mssql') : all;
}

/**
 * The Express door re-runs suites to compare doors (test/express-door.test.ts); the dialect is orthogonal to the door,
 * so SQL Server's backend runs once, through the node:http door.
 */
export function viaExpressDoor(): boolean {
  return process.env.GATEHOUSE_TEST_DOOR === 'express';
}

/** `?a=1&b=2` with every value percent-encoded (a `+` would otherwise arrive as a space). */
export function qs(params: Record<string, string | number> | ReadonlyArray<readonly [string, string | number]>): string {
  const entries = Array.isArray(params) ? params : Object.entries(params);
  return `?${entries.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&')}`;
}

/** SQL statement text: never in a response, unless the caller sent it and the problem quotes it back. */
const SQL_TEXT = [/\bselect\b[\s\S]*\bfrom\b/i, /\binsert into\b/i, /\bupdate\b[\s\S]*\bset\b/i, /\bdelete from\b/i, /\breturning\b/i];
/** Stack frames and database error messages: never in a response. */
const INTERNALS = [
  /\bat [^\s]+ \(.*:\d+:\d+\)/,
  /node_modules|\.ts:\d+/,
  /\bstack\b/i,
  /duplicate key value|violates|syntax error|relation "|invalid input syntax/i,
];

/**
 * An RFC 9457 problem with this status and code, and nothing in it that came from SQL or a stack trace.
 * `quotesInput`: the request itself held SQL words, which the problem may quote back (e.g. an unknown column name).
 */
export function assertProblem(
  res: supertest.Response,
  status: number,
  code: string,
  options: { quotesInput?: boolean } = {},
): Record<string, unknown> {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status}: ${res.text}`);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  const body = JSON.parse(res.text) as Record<string, unknown>;
  assert.equal(body.code, code, res.text);
  assert.equal(body.status, status);
  assert.equal(typeof body.title, 'string');
  assert.equal(typeof body.detail, 'string');
  assertNoLeak(res.text, options);
  return body;
}

export function assertNoLeak(text: string, options: { quotesInput?: boolean } = {}): void {
  const patterns = options.quotesInput ? INTERNALS : [...SQL_TEXT, ...INTERNALS];
  for (const pattern of patterns) assert.doesNotMatch(text, pattern, `response leaks internals: ${text}`);
}

/** Rows of a raw SQL query on the test's own connection (node-postgres and PGlite answer `{ rows }`, tedious an array). */
export async function sql<T = Record<string, unknown>>(db: Knex, text: string, bindings: readonly Knex.Value[] = []): Promise<T[]> {
  const result = (await db.raw(text, bindings)) as { rows: T[] } | T[];
  return Array.isArray(result) ? result : result.rows;
}

/** `count(*)` of a raw SQL query, as a number on every backend. */
export async function count(db: Knex, from: string, bindings: readonly Knex.Value[] = []): Promise<number> {
  const [row] = await sql<{ n: string | number }>(db, `select count(*) as n from ${from}`, bindings);
  return Number(row?.n);
}

/** Whether the test's knex speaks T-SQL. */
export function isMssql(db: Knex): boolean {
  return (db.client as { dialect?: string }).dialect === 'mssql';
}

/** Rows of a query built with knex's builder (the same call on every backend). */
export async function rowsOf<T = Record<string, unknown>>(qb: Knex.QueryBuilder): Promise<T[]> {
  return (await qb) as T[];
}

/** SQL fragments a test's own check queries need, written for the backend's dialect. */
export interface TestSql {
  /** `select … <top>`-less queries end with this to keep the first n rows (`limit n` / `offset 0 rows fetch …`). */
  first(n: number): string;
  /** Start of a select that keeps n rows on SQL Server (`top (n)`), empty on PostgreSQL. */
  top(n: number): string;
  /** A case-sensitive LIKE (SQL Server's default collation ignores case). */
  like(column: string, pattern: string): string;
  ilike(column: string, pattern: string): string;
  /** An ORDER BY term with NULLs placed as PostgreSQL's NULLS FIRST / LAST. */
  order(column: string, direction: 'asc' | 'desc', nulls: 'first' | 'last'): string;
  readonly false: string;
  readonly true: string;
}

export function testSql(db: Knex): TestSql {
  const lit = (text: string): string => `'${text.replaceAll("'", "''")}'`;
  if (!isMssql(db)) {
    return {
      first: (n) => `limit ${n}`,
      top: () => '',
      like: (c, p) => `${c} like ${lit(p)}`,
      ilike: (c, p) => `${c} ilike ${lit(p)}`,
      order: (c, d, n) => `${c} ${d} nulls ${n}`,
      false: 'false',
      true: 'true',
    };
  }
  return {
    first: () => '',
    top: (n) => `top (${n})`,
    like: (c, p) => `${c} collate Latin1_General_CS_AS like N${lit(p)}`,
    ilike: (c, p) => `${c} collate Latin1_General_CI_AS like N${lit(p)}`,
    order: (c, d, n) => `case when ${c} is null then ${n === 'first' ? 0 : 1} else ${n === 'first' ? 1 : 0} end, ${c} ${d}`,
    false: '0',
    true: '1',
  };
}
