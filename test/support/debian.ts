// Installing Debian packages the test suite needs (postgresql-15, later redis-server, bind9) on demand.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export type EnsureResult = { ok: true } | { ok: false; reason: string };

// `apt-get update` is slow and its result doesn't change within one run, so do it at most once.
let updateOutcome: { ok: boolean; output: string } | undefined;

function aptGet(args: string[]): { ok: boolean; output: string } {
  const result = spawnSync('apt-get', args, {
    // CI has no stdin and nobody to answer debconf questions.
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}${result.error ? `\n${result.error.message}` : ''}`;
  return { ok: result.status === 0, output };
}

function tail(text: string, lines = 15): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/** Make `binaryCheck()` true by installing `pkg` with apt-get if needed and possible. */
export function ensureDebianPackage(binaryCheck: () => boolean, pkg: string): EnsureResult {
  if (binaryCheck()) return { ok: true };
  if (process.getuid?.() !== 0) {
    return { ok: false, reason: `Debian package ${pkg} is not installed and cannot be installed: not running as root` };
  }
  if (!existsSync('/usr/bin/apt-get')) {
    return { ok: false, reason: `Debian package ${pkg} is not installed and cannot be installed: apt-get is not available` };
  }
  console.log(`installing Debian package ${pkg} (apt-get update && apt-get install -y ${pkg})`);
  updateOutcome ??= aptGet(['update']);
  // A lock timeout rides out unattended-upgrades or another apt run holding the dpkg lock on a fresh machine.
  const install = aptGet(['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '--no-install-recommends', pkg]);
  if (install.ok && binaryCheck()) return { ok: true };
  const updateNote = updateOutcome.ok ? '' : `; apt-get update had also failed:\n${tail(updateOutcome.output)}`;
  const what = install.ok ? `apt-get install -y ${pkg} succeeded but the expected binaries are still missing` : `apt-get install -y ${pkg} failed:\n${tail(install.output)}`;
  return { ok: false, reason: `Debian package ${pkg} could not be installed: ${what}${updateNote}` };
}
