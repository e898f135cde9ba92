// `gatehouse config check`: validate a configuration offline (schema, keys, contract, access rules) and print the
// effective configuration, defaults filled in and secrets redacted.
import { Option, type Command } from 'commander';
import YAML from 'yaml';
import { createSigner, createTrustedKeys } from '../../audit/signing.js';
import { createTokenVerifier } from '../../auth/token-verifier.js';
import type { GatehouseConfig } from '../../config/types.js';
import { ConfigError, SpecError } from '../../errors/app-error.js';
import { loadSpecFile } from '../../openapi/load-spec.js';
import { compilePolicies } from '../../policy/compile-policies.js';
import { configOption, loadCliConfig } from '../cli-config.js';
import { redactConfig } from '../redact-config.js';
import { run } from '../run-command.js';

export function registerConfig(program: Command): void {
  const config = program.command('config').description('check a configuration file');
  config
    .command('check')
    .description('validate the configuration, its keys, contract and access rules without connecting anywhere; print the effective configuration (secrets redacted); exit 2 when invalid')
    .addOption(configOption())
    .addOption(new Option('--format <format>', 'how to print the effective configuration').choices(['yaml', 'json']).default('yaml'))
    .option('-q, --quiet', 'print nothing when the configuration is valid')
    .action(async (opts: { config: string; format: 'yaml' | 'json'; quiet?: boolean }) => {
      await run(async () => {
        const loaded = loadCliConfig(opts.config);
        await checkOffline(loaded);
        if (!opts.quiet) {
          const effective = redactConfig(loaded);
          process.stdout.write(opts.format === 'json' ? `${JSON.stringify(effective, null, 2)}\n` : YAML.stringify(effective));
          for (const note of notes(loaded)) process.stderr.write(`note: ${note}\n`);
          process.stderr.write(`config check: ${opts.config} is valid\n`);
        }
      });
    });
}

/** What start-up checks before it connects to anything; every problem found, not just the first. */
async function checkOffline(config: GatehouseConfig): Promise<void> {
  const problems: string[] = [];
  const collect = (check: () => unknown): void => {
    try {
      check();
    } catch (err) {
      if (err instanceof ConfigError) problems.push(...err.problems);
      else throw err;
    }
  };
  if (config.audit && !config.store) problems.push('audit: needs a store: section to keep the audit log in');
  if (config.audit?.signingKey !== undefined) collect(() => createSigner(config.audit!.signingKey));
  if (config.audit) collect(() => createTrustedKeys(config.audit!.trustedKeys));
  if (!config.auth.disabled) collect(() => createTokenVerifier(config.auth));
  let spec;
  try {
    spec = await loadSpecFile(config.spec);
  } catch (err) {
    if (!(err instanceof SpecError)) throw err;
    problems.push(...err.problems.map((p) => `spec (${config.spec}): ${p}`));
  }
  const unbound = spec ? [...new Set(spec.resources.map((r) => r.source))].filter((s) => !config.sources[s]) : [];
  for (const name of unbound) problems.push(`sources: the contract binds resources to "${name}", which is not configured`);
  if (spec && !config.auth.disabled) collect(() => compilePolicies(config.policies, spec.resources));
  if (problems.length > 0) throw new ConfigError(problems);
}

/** Valid, but probably not what a production gateway wants. */
function notes(config: GatehouseConfig): string[] {
  const out: string[] = [];
  if (config.auth.disabled) out.push('auth.disabled: no tokens and no access rules; every operation is open on loopback');
  else if (config.auth.issuers.length === 0) out.push('auth.issuers is empty: every call will be refused with 401');
  else if (config.policies.rules.length === 0) out.push('policies.rules is empty: every data operation will be refused with 403');
  if (!config.audit) out.push('no audit: section, so requests are not audited');
  else if (config.audit.signingKey === undefined) {
    out.push('audit.signingKey is not set: checkpoints will be signed with a key made per process, which `gatehouse audit verify` cannot trust later');
  }
  return out;
}
