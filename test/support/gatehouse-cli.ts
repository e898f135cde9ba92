// Runs the `gatehouse` command line as a user would (a child process from the source tree) and collects its output.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from './project.js';

/** tsx by URL: `--import tsx` would resolve from the child's working directory, which may be anywhere. */
const tsxLoader = import.meta.resolve('tsx');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  readonly cwd?: string;
  readonly timeoutMs?: number;
  /** Variables to add to the child's environment (the runner's own GATEHOUSE_* ones are never passed on). */
  readonly env?: Readonly<Record<string, string>>;
}

export function gatehouse(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    // The runner's own GATEHOUSE_TEST_* variables would read as configuration overrides (GATEHOUSE_<KEY>).
    const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_'))), ...options.env };
    const child = spawn(process.execPath, ['--import', tsxLoader, path.join(projectRoot, 'src', 'cli', 'index.ts'), ...args], {
      cwd: options.cwd ?? projectRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
