// Lints an OpenAPI document with Redocly CLI (the repository's redocly.yaml rules) and returns its JSON verdict.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { projectRoot } from './project.js';

const require = createRequire(import.meta.url);
const cli = path.join(path.dirname(require.resolve('@redocly/cli/package.json')), 'bin', 'cli.js');

export interface LintProblem {
  readonly ruleId: string;
  readonly severity: 'error' | 'warn';
  readonly message: string;
  readonly location?: ReadonlyArray<{ readonly pointer?: string }>;
}

export interface LintResult {
  readonly errors: number;
  readonly warnings: number;
  readonly problems: readonly LintProblem[];
}

export async function redoclyLint(file: string): Promise<LintResult> {
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [cli, 'lint', file, '--format=json', '--config', path.join(projectRoot, 'redocly.yaml')],
      {
        cwd: projectRoot,
        // No telemetry or update check: tests run offline and must not talk to the network.
        env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (exit) => resolve({ code: exit, stdout: out, stderr: err }));
  });
  const start = stdout.indexOf('{');
  if (start < 0) throw new Error(`redocly lint printed no JSON (exit ${code}):\n${stdout}\n${stderr}`);
  const parsed = JSON.parse(stdout.slice(start)) as { totals: { errors: number; warnings: number }; problems: LintProblem[] };
  return { errors: parsed.totals.errors, warnings: parsed.totals.warnings, problems: parsed.problems };
}

/** One line per problem, for assertion messages. */
export function describeProblems(result: LintResult): string {
  return result.problems.map((p) => `${p.severity} ${p.ruleId} at ${p.location?.[0]?.pointer ?? '?'}: ${p.message}`).join('\n');
}
