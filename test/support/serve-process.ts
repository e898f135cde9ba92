// `gatehouse serve` as a child process, as an operator runs it: signals, its JSON log lines, its exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { projectRoot } from './project.js';
import { waitForExit, waitForReady } from './processes.js';

export interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly event?: string;
  readonly [key: string]: unknown;
}

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly url: string;
  /** Every JSON log line so far. */
  logs(): LogLine[];
  /** Resolves with the first log line (from `since` on) that satisfies `match`; throws after `timeoutMs`. */
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number, since?: number): Promise<LogLine>;
  signal(signal: NodeJS.Signals): void;
  /** Resolves with the exit code once the process has exited; throws after `timeoutMs`. */
  exited(timeoutMs: number): Promise<number | null>;
  /** SIGKILL if still running (test clean-up). */
  kill(): Promise<void>;
}

/** The environment without the test runner's GATEHOUSE_TEST_* variables, which would read as configuration. */
function childEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
}

export async function startServe(configFile: string, url: string): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'serve', '--config', configFile], {
    cwd: projectRoot,
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: LogLine[] = [];
  let stderr = '';
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    partial += chunk.toString();
    const complete = partial.split('\n');
    partial = complete.pop() ?? '';
    for (const text of complete) {
      try {
        lines.push(JSON.parse(text) as LogLine);
      } catch {
        // not a log line
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-8000)));
  try {
    await waitForReady(url, child, 90_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${(err as Error).message}\n${stderr}\n${JSON.stringify(lines.slice(-20))}`, { cause: err });
  }
  return {
    child,
    url,
    logs: () => [...lines],
    async waitForLog(match, timeoutMs = 20_000, since = 0) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = lines.slice(since).find(match);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no such log line within ${timeoutMs} ms; lines: ${JSON.stringify(lines.slice(since)).slice(0, 3000)}\n${stderr}`);
        await sleep(25);
      }
    },
    signal: (signal) => child.kill(signal),
    async exited(timeoutMs) {
      if (!(await waitForExit(child, timeoutMs))) throw new Error(`the gateway did not exit within ${timeoutMs} ms`);
      return child.exitCode;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await waitForExit(child, 30_000);
      }
    },
  };
}
