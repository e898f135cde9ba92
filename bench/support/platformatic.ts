// Platformatic DB 2.61 for the pipeline bench, installed on first use into a cache folder (never a dependency of the
// project) and reused by later runs.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import path from 'node:path';

export const PLATFORMATIC_VERSION = '2.61.0';

/** `$XDG_CACHE_HOME/gatehouse-bench/platformatic-2.61` (default `~/.cache/…`), or BENCH_PLATFORMATIC_DIR. */
export function platformaticDir(): string {
  if (process.env.BENCH_PLATFORMATIC_DIR) return process.env.BENCH_PLATFORMATIC_DIR;
  const cache = process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache');
  return path.join(cache, 'gatehouse-bench', `platformatic-${PLATFORMATIC_VERSION.split('.').slice(0, 2).join('.')}`);
}

/** The installed version in `dir`, if any. */
function installedVersion(dir: string): string | undefined {
  const manifest = path.join(dir, 'node_modules', '@platformatic', 'db', 'package.json');
  if (!existsSync(manifest)) return undefined;
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version;
}

/** Installs @platformatic/db into the cache folder unless that version is already there; returns the folder. */
export async function ensurePlatformatic(): Promise<string> {
  const dir = platformaticDir();
  if (installedVersion(dir) === PLATFORMATIC_VERSION) return dir;
  await mkdir(dir, { recursive: true });
  console.log(`installing @platformatic/db@${PLATFORMATIC_VERSION} into ${dir} (first run only; a few minutes)`);
  // npm's own client, into that folder only: the project's package.json and lock file are not touched.
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  await new Promise<void>((resolve, reject) => {
    const child = spawn(npm, ['install', '--prefix', dir, '--no-audit', '--no-fund', '--no-save', `@platformatic/db@${PLATFORMATIC_VERSION}`], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`npm install exited ${code}`))));
  });
  if (installedVersion(dir) !== PLATFORMATIC_VERSION) throw new Error(`@platformatic/db@${PLATFORMATIC_VERSION} is not in ${dir} after npm install`);
  return dir;
}
