// A SQL Server source's connection: its URL or ADO.NET connection string and its `mssql:` options, as tedious takes them.
import { MSSQL_SCHEMA, parse } from '@tediousjs/connection-string';
import type { MssqlOptions, SourceConfig } from '../../../config/types.js';
import { ConfigError } from '../../../errors/app-error.js';

/** The tedious connection configuration (the subset Gatehouse sets). */
export interface TediousConfig {
  readonly server: string;
  readonly authentication: { readonly type: string; readonly options: Readonly<Record<string, unknown>> };
  readonly options: Readonly<Record<string, unknown>>;
}

interface Parts {
  server: string;
  port: number | undefined;
  instanceName: string | undefined;
  database: string | undefined;
  user: string | undefined;
  password: string | undefined;
  encrypt: boolean | 'strict' | undefined;
  trustServerCertificate: boolean | undefined;
}

/**
 * `mssql://user:password@host:1433/database?encrypt=true&trustServerCertificate=false&instanceName=SQLEXPRESS`
 * (also `sqlserver://`), or an ADO.NET string: `Server=tcp:host,1433;Database=erp;User Id=…;Password=…;Encrypt=true`.
 */
export function parseMssqlConnection(connection: string, sourceName: string): Parts {
  try {
    return /^(mssql|sqlserver):\/\//i.test(connection) ? fromUrl(connection) : fromAdoString(connection);
  } catch (err) {
    throw new ConfigError([`sources.${sourceName}.connection: not a SQL Server connection URL or connection string (${(err as Error).message})`]);
  }
}

function fromUrl(text: string): Parts {
  const url = new URL(text);
  const q = url.searchParams;
  const flag = (name: string): boolean | undefined => (q.has(name) ? /^(true|yes|1)$/i.test(q.get(name)!) : undefined);
  const encrypt = q.get('encrypt');
  return {
    server: decodeURIComponent(url.hostname).replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : undefined,
    instanceName: q.get('instanceName') ?? undefined,
    database: url.pathname.length > 1 ? decodeURIComponent(url.pathname.slice(1)) : undefined,
    user: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    encrypt: encrypt === null ? undefined : encrypt.toLowerCase() === 'strict' ? 'strict' : /^(true|yes|1)$/i.test(encrypt),
    trustServerCertificate: flag('trustServerCertificate'),
  };
}

function fromAdoString(text: string): Parts {
  if (!text.includes('=')) throw new Error('expected key=value pairs');
  const parsed = parse(text);
  const schema = parsed.toSchema(MSSQL_SCHEMA) as Record<string, unknown>;
  // "tcp:host\instance,1433": protocol prefix, named instance and port all ride in Data Source.
  const source = String(schema['data source'] ?? '').replace(/^tcp:/i, '');
  if (source === '') throw new Error('no Server / Data Source');
  const [hostAndInstance, port] = source.split(',');
  const [host, instance] = hostAndInstance!.split('\\');
  // The schema reads Encrypt as a boolean; TDS 8's `strict` is kept as written.
  const encrypt = String(parsed.get('encrypt') ?? '').toLowerCase() === 'strict' ? 'strict' : schema.encrypt;
  return {
    server: host === '.' || host?.toLowerCase() === '(local)' ? 'localhost' : host!,
    port: port ? Number(port) : undefined,
    instanceName: instance || undefined,
    database: (schema['initial catalog'] as string | undefined) || undefined,
    user: (schema['user id'] as string | undefined) || undefined,
    password: (schema.password as string | undefined) || undefined,
    encrypt: encrypt === 'strict' ? 'strict' : typeof encrypt === 'boolean' ? encrypt : undefined,
    trustServerCertificate: typeof schema['trustservercertificate'] === 'boolean' ? (schema['trustservercertificate'] as boolean) : undefined,
  };
}

/** tedious's configuration for a source: the connection's parts, then the source's `mssql:` block, then defaults. */
export function tediousConfig(source: SourceConfig, sourceName = 'source'): TediousConfig {
  const parts = parseMssqlConnection(source.connection, sourceName);
  const o: MssqlOptions = source.mssql ?? {};
  const instanceName = o.instanceName ?? parts.instanceName;
  const auth = o.authentication ?? { type: 'default' as const };
  const credentials = { userName: parts.user, password: parts.password };
  const authOptions: Record<string, unknown> =
    auth.type === 'default'
      ? credentials
      : auth.type === 'ntlm'
        ? { ...credentials, domain: auth.domain }
        : auth.type === 'azure-active-directory-password'
          ? { ...credentials, clientId: auth.clientId, tenantId: auth.tenantId }
          : auth.type === 'azure-active-directory-service-principal-secret'
            ? { clientId: auth.clientId, clientSecret: auth.clientSecret, tenantId: auth.tenantId }
            : auth.type === 'azure-active-directory-access-token'
              ? { token: auth.token }
              : { clientId: auth.clientId };
  return {
    server: parts.server,
    authentication: { type: auth.type, options: withoutUndefined(authOptions) },
    options: withoutUndefined({
      database: parts.database,
      // A named instance is found through the SQL Server Browser (UDP 1434); tedious then ignores a port.
      ...(instanceName ? { instanceName } : { port: parts.port ?? 1433 }),
      encrypt: o.encrypt ?? parts.encrypt ?? true,
      trustServerCertificate: o.trustServerCertificate ?? parts.trustServerCertificate ?? false,
      appName: o.appName ?? 'gatehouse',
      connectTimeout: source.pool.acquireTimeoutMs,
      // The statement timeout: tedious cancels the request (an attention) and the request fails with ETIMEOUT.
      requestTimeout: source.statementTimeoutMs,
      // Identifiers in double quotes, as the T-SQL standard settings have them; ANSI behaviour for NULLs and warnings.
      enableQuotedIdentifier: true,
      enableAnsiNull: true,
      enableAnsiWarnings: true,
      enableArithAbort: true,
      useUTC: true,
      lowerCaseGuids: true,
      rowCollectionOnDone: false,
      rowCollectionOnRequestCompletion: false,
      useColumnNames: false,
      tdsVersion: '7_4',
    }),
  };
}

function withoutUndefined(record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined));
}
