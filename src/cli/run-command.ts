// Shared CLI plumbing: argument parsers and the error → exit status convention (2: bad input, 1: failure).
import { InvalidArgumentError } from 'commander';
import { ConfigError, SpecError } from '../errors/app-error.js';

export function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is 0–65535');
  return n;
}

/** Exit status 2 for configuration / contract / usage problems, 1 for anything else. */
export class UsageError extends Error {}

export async function run(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (err) {
    if (err instanceof ConfigError || err instanceof SpecError || err instanceof UsageError) {
      process.stderr.write(`gatehouse: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`gatehouse: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  }
}
