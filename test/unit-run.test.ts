// `npm run test:unit`: the pure suites run with nothing provisioned, and a suite that needs a server fails there
// instead of skipping quietly.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { UNIT_SUITES } from '../scripts/unit-suites.js';
import { projectRoot } from './support/project.js';
import { UNIT_RUN_ENV } from './support/unit-run.js';

/** Runs node with tsx in the project, as a shell would: without the runner's GATEHOUSE_* variables (no PostgreSQL, no
 * SQL Server) and without NODE_TEST_CONTEXT (which would make a nested test run report to this one). */
function node(args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number | null; output: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_') && k !== 'NODE_TEST_CONTEXT'));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: projectRoot, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('the unit run', () => {
  it('when the unit run is asked for some suites, then they pass with no database provisioned', async () => {
    const result = await node([path.join('scripts', 'test.ts'), '--unit', 'ids', 'grammar-cursor']);
    assert.equal(result.code, 0, result.output);
    assert.match(result.output, /ℹ pass [1-9]\d*/);
    assert.match(result.output, /ℹ fail 0/);
    assert.match(result.output, /ℹ skipped 0/);
  });

  it('when a suite that needs PostgreSQL runs as a unit suite, then it fails, saying to take it out of the list', async () => {
    const result = await node(['--test', '--test-reporter=spec', path.join('test', 'harness.test.ts')], { [UNIT_RUN_ENV]: '1' });
    assert.notEqual(result.code, 0, result.output);
    assert.match(result.output, /PostgreSQL is not available to unit suites: take this file out of UNIT_SUITES in scripts\/unit-suites\.ts/);
  });

  it('when the list is read, then it names only suites that exist, once each', async () => {
    const { readdir } = await import('node:fs/promises');
    const files = new Set((await readdir(path.join(projectRoot, 'test'))).map((f) => `test/${f}`));
    assert.deepEqual(UNIT_SUITES.filter((f) => !files.has(f)), []);
    assert.equal(new Set(UNIT_SUITES).size, UNIT_SUITES.length);
  });
});
