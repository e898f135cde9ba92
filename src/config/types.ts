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

export interface GatehouseConfig {
  readonly server: ServerConfig;
  /** OpenAPI document path (relative paths are resolved against the config file). */
  readonly spec: string;
  readonly sources: Readonly<Record<string, SourceConfig>>;
  readonly limits: LimitsConfig;
  readonly log: { readonly level: 'error' | 'warn' | 'info' | 'debug'; readonly requests: boolean };
}
