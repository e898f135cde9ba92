// knex's SQL Server client, with what Gatehouse needs changed: identifiers quoted with `]` escaped (knex drops
// brackets from names), rows read the way the executor reads them, and tedious configured by this dialect.
import type { Knex } from 'knex';
import ClientMssql from 'knex/lib/dialects/mssql/index.js';
import { rememberSessionId } from './cancel.js';
import type { TediousConfig } from './connection.js';
import { runMssql } from './run.js';
import { readValue } from './values.js';

interface TediousColumn {
  value: unknown;
  metadata: { colName: string; type: { name: string }; scale?: number; dataLength?: number };
}

interface KnexMssqlClient {
  connectionSettings: TediousConfig;
  acquireRawConnection(): Promise<unknown>;
  processResponse(query: { response?: unknown }, runner: unknown): unknown;
}

/** `[name]`, a `]` inside doubled: names with spaces, brackets and quotes stay one identifier. */
export function quoteMssqlIdentifier(name: string): string {
  return name === '*' ? '*' : `[${name.replace(/]/g, ']]')}]`;
}

const Base = ClientMssql as unknown as new (config: Knex.Config) => KnexMssqlClient;

export class GatehouseMssqlClient extends Base {
  /** The tedious configuration is built by the dialect (connection.ts); knex's own mapping would drop options. */
  _generateConnection(): TediousConfig {
    return this.connectionSettings;
  }

  /** Each new connection notes its session id: a statement an attention does not stop can then be ended (cancel.ts). */
  override async acquireRawConnection(): Promise<unknown> {
    const connection = await super.acquireRawConnection();
    // Without it a cancel is an attention only: the connection still serves.
    await rememberSessionId(connection, (text) => runMssql(connection, { text, values: [], name: undefined })).catch(() => undefined);
    return connection;
  }

  wrapIdentifierImpl(value: string): string {
    return quoteMssqlIdentifier(value);
  }

  override processResponse(query: { response?: unknown }, runner: unknown): unknown {
    if (Array.isArray(query.response)) {
      for (const row of query.response as TediousColumn[][]) {
        if (!Array.isArray(row)) continue;
        for (const column of row) column.value = readValue(column.value, column.metadata);
      }
    }
    return super.processResponse(query, runner);
  }
}
