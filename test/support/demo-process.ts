// Runs `gatehouse demo` as a user does (a child process) and reads its address and token from the banner.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from './project.js';
import { freePort, waitForExit } from './processes.js';

export interface DemoProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly token: string;
  /** Everything the process wrote to stderr so far (the banner, and any error). */
  stderr(): string;
  /** Sends `signal` (SIGTERM by default) and resolves with whether the process exited within `timeoutMs`. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<boolean>;
}

export interface DemoProcessOptions {
  /** Extra arguments after `demo --port N`. */
  readonly args?: readonly string[];
  /** The command to run instead of the CLI from source (e.g. `npm start --`), given the port. */
  readonly command?: (port: number) => { file: string; args: string[]; cwd?: string; env?: NodeJS.ProcessEnv };
  readonly timeoutMs?: number;
}

const tsxLoader = import.meta.resolve('tsx');

export async function startDemoProcess(options: DemoProcessOptions = {}): Promise<DemoProcess> {
  const port = await freePort();
  const { file, args, cwd, env: commandEnv } = options.command?.(port) ?? {
    file: process.execPath,
    args: ['--import', tsxLoader, path.join(projectRoot, 'src', 'cli', 'index.ts'), 'demo', '--port', String(port), ...(options.args ?? [])],
  };
  // The runner's own GATEHOUSE_* variables would read as configuration overrides.
  const env = commandEnv ?? Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
  const child = spawn(file, args, { cwd: cwd ?? projectRoot, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<boolean> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    return waitForExit(child, timeoutMs);
  };
  const deadline = Date.now() + (options.timeoutMs ?? 180_000);
  // The banner ends with this line; before it, the token may be only partly written.
  while (!stderr.includes('Stop with Ctrl-C.')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop('SIGKILL', 5000);
      throw new Error(`the demo did not start (exit ${child.exitCode}):\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const token = /export TOKEN=(\S+)/.exec(stderr)![1]!;
  const url = /listening on (http:\/\/\S+)/.exec(stderr)![1]!;
  return { child, url, token, stderr: () => stderr, stop };
}
