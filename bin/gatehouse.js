#!/usr/bin/env node
// The `gatehouse` command (package.json bin). In a checkout it runs the TypeScript sources through tsx, so the CLI
// works right after `npm ci` and never lags behind an edit; an installed package (no sources, or no tsx) runs the
// build in dist/.
import { existsSync } from 'node:fs';

const source = new URL('../src/cli/index.ts', import.meta.url);
const built = new URL('../dist/src/cli/index.js', import.meta.url);

/** tsx's loader, when the development dependencies are installed. */
async function tsxLoader() {
  try {
    return (await import('tsx/esm/api')).register;
  } catch {
    return undefined;
  }
}

const register = existsSync(source) ? await tsxLoader() : undefined;
if (register) {
  register();
  await import(source.href);
} else if (existsSync(built)) {
  await import(built.href);
} else {
  process.stderr.write('gatehouse: the CLI is not built: run `npm run build` (or `npm ci` for a checkout)\n');
  process.exit(1);
}
