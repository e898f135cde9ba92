// The benchmarks measure what users run: the compiled CLI (package.json bin → dist/), not the sources under tsx,
// whose loader and helpers would add their own cost to every figure.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * tsc with the project's build settings into tmp/<name>-<pid> (inside the project, so the output resolves
 * node_modules and finds package.json, openapi/ and migrations/; apart from dist/). Emits even if unrelated files have
 * type errors. Returns the output folder and the compiled CLI's path.
 */
export async function compileGateway(name: string): Promise<{ outDir: string; cli: string }> {
  const outDir = path.join(root, 'tmp', `${name}-${process.pid}`);
  const cli = path.join(outDir, 'src', 'cli', 'index.js');
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json'), '--outDir', outDir, '--sourceMap', 'false'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (existsSync(cli)) resolve();
      else reject(new Error(`tsc did not produce the CLI (exit ${code}):\n${output}`));
    });
  });
  return { outDir, cli };
}
