// A copy of the project as a fresh clone has it after `npm ci`: the files git tracks (as they are in the working tree,
// so uncommitted edits count but untracked files do not), with node_modules linked in and no build.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { projectRoot } from './project.js';

export interface ScratchCheckout {
  readonly dir: string;
  remove(): Promise<void>;
}

export async function scratchCheckout(): Promise<ScratchCheckout> {
  const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-checkout-'));
  const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: projectRoot, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of tracked) {
    const from = path.join(projectRoot, file);
    if (!existsSync(from)) continue;
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await copyFile(from, path.join(dir, file));
  }
  await symlink(path.join(projectRoot, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
