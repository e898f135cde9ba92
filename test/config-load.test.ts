// The configuration loader: YAML file, environment overrides, secret references, defaults, and errors that name every bad key.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';
import { loadConfig, type Env } from '../src/config/load.js';
import type { GatehouseConfig } from '../src/config/types.js';
import { ConfigError } from '../src/errors/app-error.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-config-'));
});
after(() => rm(dir, { recursive: true, force: true }));

const BASE = {
  spec: 'openapi/erp.yaml',
  sources: { erp: { client: 'pg', connection: 'postgres://gatehouse@127.0.0.1:5432/erp' } },
};

let counter = 0;
/** Writes `doc` as gatehouse.yaml in a fresh directory and loads it with `env`. */
async function load(doc: unknown, env: Env = {}): Promise<GatehouseConfig> {
  const file = await writeConfig(doc);
  return loadConfig({ file, env });
}

async function writeConfig(doc: unknown): Promise<string> {
  const file = path.join(dir, `gatehouse-${++counter}.yaml`);
  await writeFile(file, typeof doc === 'string' ? doc : YAML.stringify(doc));
  return file;
}

async function problems(doc: unknown, env: Env = {}): Promise<readonly string[]> {
  try {
    await load(doc, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.match(err.message, /^invalid configuration:\n {2}- /);
    return err.problems;
  }
  assert.fail('the configuration was accepted');
}

describe('configuration loading', () => {
  it('when only the required keys are given, then every default is filled in and paths resolve against the file', async () => {
    const config = await load(BASE);
    assert.equal(config.server.host, '127.0.0.1');
    assert.equal(config.server.port, 8080);
    assert.equal(config.server.bodyLimitBytes, 1048576);
    assert.deepEqual(config.limits, { defaultPageSize: 100, maxPageSize: 1000, maxAffected: 1000, maxBulkRows: 1000, exportBatchRows: 5000 });
    assert.deepEqual(config.sources.erp!.pool, { min: 0, max: 10, acquireTimeoutMs: 5000 });
    assert.equal(config.sources.erp!.statementTimeoutMs, 15000);
    assert.equal(config.spec, path.join(dir, 'openapi', 'erp.yaml'));
  });

  it('when a pglite source names a data directory, then it is resolved against the file; memory:// is left alone', async () => {
    const config = await load({ ...BASE, sources: { a: { client: 'pglite', connection: 'data/a' }, b: { client: 'pglite', connection: 'memory://' } } });
    assert.equal(config.sources.a!.connection, path.join(dir, 'data', 'a'));
    assert.equal(config.sources.b!.connection, 'memory://');
  });

  it('when GATEHOUSE_SERVER__PORT and friends are set, then they override the file, typed by YAML', async () => {
    const config = await load(
      { ...BASE, server: { port: 8000 }, limits: { maxPageSize: 200 } },
      {
        GATEHOUSE_SERVER__PORT: '9090',
        GATEHOUSE_LIMITS__MAX_PAGE_SIZE: '50',
        GATEHOUSE_SOURCES__ERP__READ_ONLY: 'true',
        GATEHOUSE_SOURCES__ERP__POOL__MAX: '3',
        GATEHOUSE_LOG__LEVEL: 'debug',
      },
    );
    assert.equal(config.server.port, 9090);
    assert.equal(config.limits.maxPageSize, 50);
    assert.equal(config.sources.erp!.readOnly, true);
    assert.equal(config.sources.erp!.pool.max, 3);
    assert.equal(config.log.level, 'debug');
  });

  it('when PORT is set, then it sets server.port', async () => {
    assert.equal((await load(BASE, { PORT: '7070' })).server.port, 7070);
  });

  it('when an override targets a text setting, then the value stays text, even if it looks like a number or is not YAML', async () => {
    for (const value of ['12345', 'true', '@secret', '*alias', '%x', 'a: b: c', '[unclosed']) {
      const config = await load(BASE, { GATEHOUSE_SOURCES__ERP__CONNECTION: value });
      assert.equal(config.sources.erp!.connection, value, value);
    }
  });

  it('when Kubernetes service-link variables for a Service named gatehouse are set, then they are not overrides', async () => {
    const config = await load(BASE, {
      GATEHOUSE_PORT: 'tcp://10.96.0.12:8080',
      GATEHOUSE_PORT_8080_TCP_ADDR: '10.96.0.12',
      GATEHOUSE_SERVICE_HOST: '10.96.0.12',
      GATEHOUSE_SERVICE_PORT: '8080',
      GATEHOUSE_TEST_PG_URL: 'postgres://elsewhere',
    });
    assert.equal(config.server.port, 8080);
  });

  it('when an override names an unknown key, then the error names it with a did-you-mean', async () => {
    assert.deepEqual(await problems(BASE, { GATEHOUSE_SERVER__PROT: '1' }), ['server.prot: unknown key (did you mean "port"?)']);
  });

  it('when a value holds ${NAME}, then the environment variable is substituted, and a missing one is named with its key', async () => {
    const doc = { ...BASE, sources: { erp: { client: 'pg', connection: 'postgres://app:${DB_PASSWORD}@db.internal/erp' } } };
    const config = await load(doc, { DB_PASSWORD: 'p@ss w0rd' });
    assert.equal(config.sources.erp!.connection, 'postgres://app:p@ss w0rd@db.internal/erp');
    assert.deepEqual(await problems(doc), ['sources.erp.connection: environment variable DB_PASSWORD is not set']);
  });

  it('when a value holds ${file:…}, then the file is read (relative to the config) and trimmed; a missing file is named', async () => {
    await writeFile(path.join(dir, 'db-password'), 's3cret\n');
    const doc = { ...BASE, sources: { erp: { client: 'pg', connection: 'postgres://app:${file:db-password}@db/erp' } } };
    assert.equal((await load(doc)).sources.erp!.connection, 'postgres://app:s3cret@db/erp');
    const missing = { ...BASE, sources: { erp: { client: 'pg', connection: '${file:no-such-secret}' } } };
    assert.deepEqual(await problems(missing), ['sources.erp.connection: secret file no-such-secret cannot be read']);
  });

  it('when a secret itself contains ${…}, then it is taken literally, not expanded again', async () => {
    const doc = { ...BASE, sources: { erp: { client: 'pg', connection: '${A}' } } };
    assert.equal((await load(doc, { A: '${B}', B: 'leaked' })).sources.erp!.connection, '${B}');
  });

  it('when an override holds a secret reference, then the reference is resolved too', async () => {
    const config = await load(BASE, { GATEHOUSE_SOURCES__ERP__CONNECTION: 'postgres://app:${DB_PASSWORD}@db/erp', DB_PASSWORD: 'x' });
    assert.equal(config.sources.erp!.connection, 'postgres://app:x@db/erp');
  });

  it('when server.bodyLimit is a size, then it becomes bytes; a nonsense size is named', async () => {
    assert.equal((await load({ ...BASE, server: { bodyLimit: '512kb' } })).server.bodyLimitBytes, 524288);
    assert.deepEqual(await problems({ ...BASE, server: { bodyLimit: 'huge' } }), ['server.bodyLimit: "huge" is not a size (e.g. 512kb, 1mb)']);
  });

  it('when many keys are wrong at once, then every one is named with its path, misspellings with a did-you-mean', async () => {
    const found = await problems({
      server: { prot: 8080, port: 'eighty', requestTimeoutMs: 0 },
      sources: {
        erp: { client: 'oracle', connection: 'x', pool: { maxx: 5 } },
        'bad name!': { client: 'pg', connection: 'y' },
      },
      limits: { maxPageSize: 0, maxAfected: 5 },
      log: { levle: 'info' },
    });
    const expected = [
      'server.prot: unknown key (did you mean "port"?)',
      'server.port: must be integer',
      'server.requestTimeoutMs: must be >= 1',
      'sources.erp.client: must be one of pg, pglite, mssql',
      'sources.erp.pool.maxx: unknown key (did you mean "max"?)',
      'limits.maxPageSize: must be >= 1',
      'limits.maxAfected: unknown key (did you mean "maxAffected"?)',
      'log.levle: unknown key (did you mean "level"?)',
      'spec: is required',
    ];
    for (const message of expected) assert.ok(found.includes(message), `missing "${message}" in:\n${found.join('\n')}`);
    assert.ok(found.includes('sources.bad name!: is not an allowed name (must match pattern "^[A-Za-z][A-Za-z0-9_-]*$")'), found.join('\n'));
  });

  it('when the file is missing or not YAML, then a ConfigError says which', async () => {
    assert.throws(() => loadConfig({ file: path.join(dir, 'absent.yaml') }), (err: unknown) => err instanceof ConfigError && /cannot read .*absent\.yaml: ENOENT/.test(err.message));
    const file = await writeConfig('server: [unclosed\n');
    assert.throws(() => loadConfig({ file }), (err: unknown) => err instanceof ConfigError && /is not valid YAML/.test(err.message));
    const list = await writeConfig('- a\n- b\n');
    assert.throws(() => loadConfig({ file: list }), (err: unknown) => err instanceof ConfigError && /must be a mapping/.test(err.message));
  });
});
