// Debian's chromium for tests that open a page in a real browser (through playwright-core, which downloads nothing).
import { existsSync } from 'node:fs';
import { ensureDebianPackage, type EnsureResult } from './debian.js';
import { refuseInUnitRun } from './unit-run.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Installs Debian's chromium when missing and possible (root + apt-get). scripts/test.ts calls it once per run. */
export function ensureChromium(): EnsureResult {
  return ensureDebianPackage(() => existsSync(CHROMIUM), 'chromium');
}

/** Why browser tests must skip, or undefined when they can run. */
export function chromiumSkipReason(): string | undefined {
  refuseInUnitRun('Chromium');
  if (process.env.GATEHOUSE_TEST_CHROMIUM_SKIP) return process.env.GATEHOUSE_TEST_CHROMIUM_SKIP;
  if (existsSync(CHROMIUM)) return undefined;
  return `${CHROMIUM} not found (Debian package chromium is not installed): run tests with \`npm test\`, which installs it`;
}
