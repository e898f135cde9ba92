// Start-up failures a first user meets: each is one line on stderr saying what to change, exit status 2 for a
// usage or configuration mistake and 1 for anything else, and never a stack trace.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import YAML from 'yaml';
import { gatehouse, type CliResult } from './support/gatehouse-cli.js';
import { ERP_SPEC } from './support/project.js';
import { freePort } from './support/processes.js';

function assertOneLine(result: CliResult, code: number, pattern: RegExp): void {
  assert.equal(result.code, code, `exit status (stderr: ${result.stderr})`);
  assert.match(result.stderr, /^gatehouse: [^\n]+\n$/, 'exactly one line on stderr');
  assert.match(result.stderr, pattern);
  assert.doesNotMatch(result.stdout + result.stderr, /\n\s+at .+:\d+:\d+\)?/, 'no stack trace anywhere');
}

describe('start-up failures', () => {
  let dir: string;
  const config = async (name: string, doc: unknown): Promise<string> => {
    const file = path.join(dir, name);
    await writeFile(file, typeof doc === 'string' ? doc : YAML.stringify(doc));
    return file;
  };
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-startup-'));
  });
  after(async () => dir && rm(dir, { recursive: true, force: true }));

  it('when the demo\'s port is taken, then it says so and how to choose another, exit 1', async () => {
    const port = await freePort();
    const squatter: Server = createServer();
    await new Promise<void>((resolve) => squatter.listen(port, '127.0.0.1', resolve));
    try {
      const result = await gatehouse(['demo', '--port', String(port)], { timeoutMs: 120_000 });
      assertOneLine(result, 1, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: another process is listening there; choose another port \\(--port`));
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
  });

  it('when --data-dir is inside a directory that does not exist, then exit 2 naming the missing parent', async () => {
    const result = await gatehouse(['demo', '--port', '0', '--data-dir', path.join(dir, 'missing', 'demo')]);
    assertOneLine(result, 2, /--data-dir .*missing\/demo: .*missing does not exist; create it first/);
  });

  it('when --data-dir is a file, then exit 2', async () => {
    const file = await config('not-a-dir', 'x');
    const result = await gatehouse(['demo', '--port', '0', '--data-dir', file]);
    assertOneLine(result, 2, /--data-dir .*not-a-dir: not a directory/);
  });

  it('when there is no gatehouse.yaml and no --config, then exit 2 pointing at --config and the example', async () => {
    const result = await gatehouse(['serve'], { cwd: dir });
    assertOneLine(result, 2, /cannot read gatehouse\.yaml: there is no such file in this directory; name one with --config FILE or GATEHOUSE_CONFIG \(gatehouse\.example\.yaml/);
  });

  it('when the configuration file is a directory or not YAML, then exit 2 in one line', async () => {
    assertOneLine(await gatehouse(['serve', '--config', dir]), 2, /is a directory, not a configuration file/);
    const broken = await config('broken.yaml', 'spec: x\nsources: [\n');
    assertOneLine(await gatehouse(['serve', '--config', broken]), 2, /invalid configuration: .*broken\.yaml is not valid YAML: .* at line \d+, column \d+$/m);
  });

  it('when the data source refuses connections, then exit 1 naming the source and its setting', async () => {
    const file = await config('no-db.yaml', {
      spec: ERP_SPEC,
      sources: { erp: { client: 'pg', connection: `postgres://gatehouse:pw@127.0.0.1:${await freePort()}/erp`, pool: { acquireTimeoutMs: 2000 } } },
      auth: { disabled: true },
    });
    const result = await gatehouse(['serve', '--config', file]);
    assertOneLine(result, 1, /cannot read the schema of source "erp" \(.*ECONNREFUSED.*\); check sources\.erp\.connection and that the database is up/);
  });

  it('when the audit store refuses connections, then exit 1 in one line', async () => {
    const file = await config('no-store.yaml', {
      spec: ERP_SPEC,
      sources: { erp: { client: 'pglite', connection: 'memory://' } },
      store: { client: 'pg', connection: `postgres://gatehouse:pw@127.0.0.1:${await freePort()}/store` },
      audit: {},
      auth: { disabled: true },
    });
    assertOneLine(await gatehouse(['serve', '--config', file]), 1, /ECONNREFUSED.*is the database up/);
  });

  it('when an option is unknown or its value is bad, then exit 2', async () => {
    const unknown = await gatehouse(['serve', '--prot', '80']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown option '--prot'/);
    const badPort = await gatehouse(['demo', '--port', 'eighty']);
    assert.equal(badPort.code, 2);
    assert.match(badPort.stderr, /a port is 0–65535/);
  });
});
