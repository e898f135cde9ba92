// A SQL Server source's configuration: `client: mssql`, its URL or ADO.NET connection string, and the `mssql:` block
// (TLS, named instance, sign-in) as tedious receives them.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';
import { loadConfig } from '../src/config/load.js';
import type { SourceConfig } from '../src/config/types.js';
import { tediousConfig } from '../src/db/dialects/mssql/connection.js';
import { ConfigError } from '../src/errors/app-error.js';

function source(connection: string, mssql?: SourceConfig['mssql']): SourceConfig {
  return { client: 'mssql', connection, pool: { min: 0, max: 5, acquireTimeoutMs: 4000 }, statementTimeoutMs: 7000, readOnly: false, defaultSchema: undefined, ...(mssql ? { mssql } : {}) };
}

describe('SQL Server connection settings', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-mssql-config-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('when the connection is a mssql:// URL, then server, port, database, login and TLS come from it', () => {
    const cfg = tediousConfig(source('mssql://gate%40house:p%3Bss@db.example.internal:14330/ERP%20Prod?encrypt=true&trustServerCertificate=false'));
    assert.equal(cfg.server, 'db.example.internal');
    assert.deepEqual(cfg.authentication, { type: 'default', options: { userName: 'gate@house', password: 'p;ss' } });
    assert.equal(cfg.options.port, 14330);
    assert.equal(cfg.options.database, 'ERP Prod');
    assert.equal(cfg.options.encrypt, true);
    assert.equal(cfg.options.trustServerCertificate, false);
    // statementTimeoutMs is tedious's requestTimeout; the pool's acquire timeout bounds the TCP/TLS/login handshake.
    assert.equal(cfg.options.requestTimeout, 7000);
    assert.equal(cfg.options.connectTimeout, 4000);
  });

  it('when the connection is an ADO.NET string with a named instance, then the instance replaces the port', () => {
    const cfg = tediousConfig(source('Server=tcp:sql01\\LEGACY;Database=erp;User Id=gatehouse;Password="a;b";Encrypt=strict;TrustServerCertificate=true'));
    assert.equal(cfg.server, 'sql01');
    assert.equal(cfg.options.instanceName, 'LEGACY');
    assert.equal(cfg.options.port, undefined);
    assert.equal(cfg.options.database, 'erp');
    assert.deepEqual(cfg.authentication.options, { userName: 'gatehouse', password: 'a;b' });
    assert.equal(cfg.options.encrypt, 'strict');
    assert.equal(cfg.options.trustServerCertificate, true);
  });

  it('when nothing says otherwise, then TLS is on, the certificate must be trusted and the port is 1433', () => {
    const cfg = tediousConfig(source('Server=sql01;Database=erp;User Id=u;Password=p'));
    assert.equal(cfg.options.encrypt, true);
    assert.equal(cfg.options.trustServerCertificate, false);
    assert.equal(cfg.options.port, 1433);
    assert.equal(cfg.options.appName, 'gatehouse');
  });

  it('when the mssql: block sets Windows or Entra ID sign-in, then tedious gets that authentication', () => {
    const ntlm = tediousConfig(source('mssql://svc_gatehouse:secret@sql01/erp', { authentication: { type: 'ntlm', domain: 'CORP' } }));
    assert.deepEqual(ntlm.authentication, { type: 'ntlm', options: { userName: 'svc_gatehouse', password: 'secret', domain: 'CORP' } });
    const sp = tediousConfig(
      source('mssql://erp.database.windows.net/erp', {
        authentication: { type: 'azure-active-directory-service-principal-secret', clientId: 'app', clientSecret: 's', tenantId: 't' },
        instanceName: undefined,
      }),
    );
    assert.deepEqual(sp.authentication, { type: 'azure-active-directory-service-principal-secret', options: { clientId: 'app', clientSecret: 's', tenantId: 't' } });
    const msi = tediousConfig(source('mssql://erp.database.windows.net/erp', { authentication: { type: 'azure-active-directory-msi-vm' } }));
    assert.equal(msi.authentication.type, 'azure-active-directory-msi-vm');
  });

  it('when the mssql: block sets TLS or an instance, then it wins over the connection string', () => {
    const cfg = tediousConfig(source('mssql://u:p@sql01:1500/erp?encrypt=false', { encrypt: true, trustServerCertificate: true, instanceName: 'SQLEXPRESS' }));
    assert.equal(cfg.options.encrypt, true);
    assert.equal(cfg.options.trustServerCertificate, true);
    assert.equal(cfg.options.instanceName, 'SQLEXPRESS');
    assert.equal(cfg.options.port, undefined);
  });

  it('when the connection is neither a URL nor a connection string, then start-up says so for that source', () => {
    assert.throws(() => tediousConfig(source('just a host name'), 'erp'), (err: unknown) => err instanceof ConfigError && /sources\.erp\.connection/.test(err.message));
  });

  it('when gatehouse.yaml names client mssql with an mssql: block, then it loads; a misspelt option is refused', async () => {
    const file = path.join(dir, 'gatehouse.yaml');
    const write = (mssql: unknown) =>
      writeFile(file, YAML.stringify({ spec: 'openapi/erp.yaml', sources: { erp: { client: 'mssql', connection: 'mssql://u:p@sql01/erp', mssql } } }));
    await write({ encrypt: 'strict', instanceName: 'LEGACY', authentication: { type: 'ntlm', domain: 'CORP' } });
    const config = loadConfig({ file, env: {} });
    assert.equal(config.sources.erp!.client, 'mssql');
    assert.deepEqual(config.sources.erp!.mssql, { encrypt: 'strict', instanceName: 'LEGACY', authentication: { type: 'ntlm', domain: 'CORP' } });
    await write({ trustServerCertficate: true });
    assert.throws(() => loadConfig({ file, env: {} }), (err: unknown) => err instanceof ConfigError && /trustServerCertficate/.test(err.message));
    await write({ authentication: { type: 'ntlm' } });
    assert.throws(() => loadConfig({ file, env: {} }), ConfigError, 'NTLM needs its domain');
  });
});
