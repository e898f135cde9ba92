// One reload: load the configuration again, refuse what cannot change while running, run the start-up checks by
// building the new pipeline, record the outcome in the audit log (strict: before it applies), report it.
import type { Auditor } from '../audit/auditor.js';
import type { GatehouseConfig } from '../config/types.js';
import { ConfigError, SpecError } from '../errors/app-error.js';
import type { LoadedSpec } from '../openapi/load-spec.js';
import { reloadFinished, type Observe, type ReloadFinished, type ReloadTrigger } from '../observability/observation.js';
import { changedKeys, fixedChanges } from './config-changes.js';
import { reloadRecord } from './reload-record.js';

/** What a reload compares: the configuration, its contract, and the contract's hash. */
export interface Checked {
  readonly config: GatehouseConfig;
  readonly spec: LoadedSpec;
  readonly contractSha256: string;
}

export interface ReloadDeps<S extends Checked> {
  /** Runs the start-up checks on a configuration and builds what would serve it; throws a ConfigError / SpecError. */
  readonly build: (config: GatehouseConfig) => Promise<S>;
  readonly auditor: Auditor | undefined;
  readonly observe: Observe;
}

/** Resolves with what is to serve from now on (undefined: keep the current one) and the report. Never rejects. */
export async function reloadOnce<S extends Checked>(
  current: S,
  load: () => GatehouseConfig,
  trigger: ReloadTrigger,
  deps: ReloadDeps<S>,
): Promise<{ serving: S | undefined; report: ReloadFinished }> {
  const startedAt = process.hrtime.bigint();
  let next: GatehouseConfig | undefined;
  let changed: string[] = [];
  const finished = async (
    outcome: ReloadFinished['outcome'],
    reasons: readonly string[],
    built: S | undefined,
  ): Promise<{ serving: S | undefined; report: ReloadFinished }> => {
    const before = new Set(current.spec.resources.map((r) => r.name));
    const after = new Set((built ?? current).spec.resources.map((r) => r.name));
    let report = reloadFinished({
      outcome,
      trigger,
      changed: built && built.contractSha256 !== current.contractSha256 ? [...changed, 'contract'] : changed,
      resourcesAdded: [...after].filter((name) => !before.has(name)).sort(),
      resourcesRemoved: [...before].filter((name) => !after.has(name)).sort(),
      reasons,
    });
    const unrecorded = await recordReload(report, (next ?? current.config).spec, (built ?? current).contractSha256, startedAt, deps.auditor);
    let serving = outcome === 'applied' ? built : undefined;
    if (unrecorded !== undefined && outcome === 'applied') {
      // Fail closed, like every request: a change to what is served is applied only once it is on the record.
      report = reloadFinished({ ...report, outcome: 'refused', reasons: [`the reload cannot be recorded in the audit log: ${unrecorded}`] });
      serving = undefined;
    }
    deps.observe(report);
    return { serving, report };
  };

  try {
    next = load();
  } catch (err) {
    return finished('refused', problemsOf(err), undefined);
  }
  changed = changedKeys(current.config, next);
  const fixed = fixedChanges(current.config, next);
  if (fixed.length > 0) return finished('refused', fixed, undefined);
  let built: S;
  try {
    built = await deps.build(next);
  } catch (err) {
    return finished('refused', problemsOf(err), undefined);
  }
  if (changed.length === 0 && built.contractSha256 === current.contractSha256) return finished('unchanged', [], undefined);
  return finished('applied', [], built);
}

/** Stores the reload's audit record; returns why it could not be stored (strict mode waits for it), or undefined. */
async function recordReload(
  report: ReloadFinished,
  specFile: string,
  contractSha256: string,
  startedAt: bigint,
  auditor: Auditor | undefined,
): Promise<string | undefined> {
  if (!auditor) return undefined;
  const stored = auditor.writer.append(reloadRecord(report, specFile, contractSha256, startedAt));
  if (auditor.config.mode !== 'strict') {
    stored.catch(() => undefined);
    return undefined;
  }
  try {
    await stored;
    return undefined;
  } catch (err) {
    return err instanceof Error ? ((err as { reason?: string }).reason ?? err.message) : String(err);
  }
}

function problemsOf(err: unknown): string[] {
  if (err instanceof ConfigError || err instanceof SpecError) return [...err.problems];
  return [err instanceof Error ? err.message : String(err)];
}
