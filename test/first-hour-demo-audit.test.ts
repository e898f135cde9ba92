// The demo with --data-dir keeps its audit signing key beside its data, so that its audit log passes
// `gatehouse audit verify` from the command line after the demo has stopped, run after run; and the audit
// commands draw progress bars only on a terminal.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { printDemoBanner } from '../src/cli/demo-banner.js';
import { startDemoProcess, type DemoProcess } from './support/demo-process.js';
import { gatehouse } from './support/gatehouse-cli.js';
import { projectRoot } from './support/project.js';

/** The CLI on a terminal of its own (util-linux `script` gives it a pty): stdout and stderr as the user sees them. */
function inTerminal(args: readonly string[]): Promise<{ code: number | null; output: string }> {
  const quote = (a: string): string => `'${a.replaceAll("'", `'\\''`)}'`;
  const command = [process.execPath, '--import', import.meta.resolve('tsx'), path.join(projectRoot, 'src', 'cli', 'index.ts'), ...args].map(quote).join(' ');
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

async function call(demo: DemoProcess, pathAndQuery: string): Promise<number> {
  const response = await fetch(`${demo.url}${pathAndQuery}`, { headers: { Authorization: `Bearer ${demo.token}` } });
  await response.arrayBuffer();
  return response.status;
}

describe('the demo\'s audit log, checked from the command line', () => {
  let parent: string;
  let dataDir: string;
  before(async () => {
    parent = await mkdtemp(path.join(tmpdir(), 'gatehouse-demo-audit-'));
    dataDir = path.join(parent, 'demo-data');
  });
  after(async () => parent && rm(parent, { recursive: true, force: true }));

  it('when the demo ran with --data-dir and stopped, then `gatehouse audit verify` passes, also after a second run', async () => {
    const cliConfig = path.join(dataDir, 'gatehouse.yaml');
    const first = await startDemoProcess({ args: ['--data-dir', dataDir] });
    try {
      assert.ok(first.stderr().includes(`npx gatehouse audit verify --config ${cliConfig}`), first.stderr());
      assert.equal(await call(first, '/customers?select=id,name&limit=3'), 200);
      assert.equal(await call(first, '/items?limit=2'), 200);
      assert.equal(await call(first, '/customers/999999'), 404);
    } finally {
      assert.ok(await first.stop(), 'the demo stops on SIGTERM');
    }
    const key = path.join(dataDir, 'audit-signing-key.pem');
    assert.ok(existsSync(key), 'the signing key is kept in the data directory');
    assert.equal(statSync(key).mode & 0o077, 0, 'only its owner may read the key');

    const verified = await gatehouse(['audit', 'verify', '--config', cliConfig]);
    assert.equal(verified.code, 0, verified.stdout + verified.stderr);
    const records = Number(/^OK: (\d+) records verified/.exec(verified.stdout)?.[1]);
    assert.ok(records >= 3, verified.stdout);
    assert.equal(verified.stderr, '', 'no progress bar when stderr is not a terminal');
    const onTerminal = await inTerminal(['audit', 'verify', '--config', cliConfig]);
    assert.equal(onTerminal.code, 0, onTerminal.output);
    assert.match(onTerminal.output, new RegExp(`verify \\[=+\\] ${records}/${records} records`), 'a bar on a terminal');

    const keyBefore = await readFile(key, 'utf8');
    const second = await startDemoProcess({ args: ['--data-dir', dataDir] });
    try {
      assert.equal(await call(second, '/orders?limit=1'), 200);
    } finally {
      assert.ok(await second.stop());
    }
    assert.equal(await readFile(key, 'utf8'), keyBefore, 'the second run signs with the same key');
    const again = await gatehouse(['audit', 'verify', '--config', cliConfig, '--format', 'json', '--quiet']);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    const report = JSON.parse(again.stdout) as { ok: boolean; events: number; problems: unknown[] };
    assert.equal(report.ok, true);
    assert.ok(report.events > records, 'the second run\'s records are verified too');

    const exported = await gatehouse(['audit', 'export', '--config', cliConfig, '--from', '2000-01-01', '--to', '2100-01-01']);
    assert.equal(exported.code, 0, exported.stderr);
    assert.equal(exported.stderr, `exported ${report.events} records\n`, 'only the summary when stderr is not a terminal');
    const lines = exported.stdout.trim().split('\n').map((l) => JSON.parse(l) as { route?: string; status?: number });
    assert.equal(lines.length, report.events);
  });

  it('when the demo runs without --data-dir, then its banner says the log ends with the process and how to keep it', () => {
    let text = '';
    const out = new Writable({ write: (chunk: Buffer, _enc, done) => ((text += chunk.toString()), done()) });
    printDemoBanner(out, { url: 'http://127.0.0.1:8080', summary: {}, token: 't' });
    assert.match(text, /The audit log lives in memory and ends with this process\. To keep it and check it from the command line\nafterwards, run the demo with --data-dir DIR\./);
    assert.doesNotMatch(text, /audit verify --config/);
  });
});
