// Shared CLI plumbing: argument parsers and the error → exit status convention (2: bad input, 1: failure).
import { InvalidArgumentError } from 'commander';
import { ConfigError, SpecError, StartupError } from '../errors/app-error.js';

export function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is 0–65535');
  return n;
}

/** Exit status 2 for configuration / contract / usage problems, 1 for anything else. */
export class UsageError extends Error {}

/**
 * Runs a command's action. Whatever it throws ends the process with one message on stderr and no stack trace:
 * a problem list for an invalid configuration or contract (each bad key on its line), one line otherwise.
 */
export async function run(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (err) {
    process.stderr.write(`gatehouse: ${describeFailure(err)}\n`);
    process.exit(err instanceof ConfigError || err instanceof SpecError || err instanceof UsageError ? 2 : 1);
  }
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'ECONNRESET']);

/** One line (a list for several configuration or contract problems) saying what failed and what to change. */
export function describeFailure(err: unknown): string {
  if (err instanceof ConfigError || err instanceof SpecError) {
    const what = err instanceof ConfigError ? 'invalid configuration' : 'invalid OpenAPI document';
    // One line per problem: a YAML parser's code frame after "at line 3, column 1:" adds nothing on a terminal.
    const problems = err.problems.map((p) => (p.split('\n')[0] ?? '').replace(/:$/, ''));
    return problems.length === 1 ? `${what}: ${problems[0]}` : `${what}:\n${problems.map((p) => `  - ${p}`).join('\n')}`;
  }
  if (err instanceof UsageError || err instanceof StartupError) return err.message;
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    const message = err.message.split('\n')[0] ?? '';
    const hint = code !== undefined && CONNECTION_CODES.has(code) ? '; is the database up, and its connection setting right?' : '';
    return (code !== undefined && !message.includes(code) ? `${message} (${code})` : message) + hint;
  }
  return String(err);
}
