// `gatehouse token`: mints a development token for an issuer in the configuration; prints only the token.
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { MintTokenError, mintToken } from '../../auth/mint-token.js';
import { JWS_ALGORITHMS } from '../../config/schema-auth.js';
import type { GatehouseConfig, JwsAlgorithm } from '../../config/types.js';
import { AUDIT_SCOPE } from '../../http/routes/audit.js';
import { loadSpecFile } from '../../openapi/load-spec.js';
import { configOption, loadCliConfig } from '../cli-config.js';
import { run, UsageError } from '../run-command.js';

interface TokenOptions {
  config: string;
  sub: string;
  scope?: string;
  clientId?: string;
  ttl: number;
  claim: Record<string, unknown>;
  issuer?: string;
  key?: string;
  alg?: JwsAlgorithm;
  kid?: string;
}

export function registerToken(program: Command): void {
  program
    .command('token')
    .description('mint a development token signed with the configured HMAC secret or a private key (prints only the token)')
    .addOption(configOption())
    .requiredOption('--sub <subject>', 'the sub claim')
    .option('--scope <scopes>', 'space-separated scopes, e.g. "customers:read orders:read"; * grants every scope the contract and the policies name')
    .option('--client-id <id>', 'the client_id claim')
    .option('--ttl <duration>', 'lifetime: 90s, 15m, 1h, 2d or seconds', duration, 3600)
    .option('--claim <name=value>', 'an extra claim; the value is JSON when it parses, else a string (repeatable)', claim, {})
    .option('--issuer <iss>', 'the issuer to mint for (default: the first in auth.issuers)')
    .option('--key <file>', 'sign with this PEM private key instead of the issuer HMAC secret')
    .option('--alg <alg>', 'signature algorithm (default: the key\'s own)', algorithm)
    .option('--kid <kid>', 'the kid header (with --key), or which HMAC key to use')
    .action(async (opts: TokenOptions) => {
      await run(async () => {
        const config = loadCliConfig(opts.config);
        let scopes = opts.scope?.split(' ').filter((s) => s !== '');
        if (scopes?.includes('*')) {
          scopes = await everyScope(config, scopes);
          process.stderr.write(`token: granting every scope the contract and the policies name: ${scopes.join(' ')}\n`);
        }
        let token: string;
        try {
          token = await mintToken(config.auth, {
            subject: opts.sub,
            scopes,
            clientId: opts.clientId,
            ttlSeconds: opts.ttl,
            claims: opts.claim,
            issuer: opts.issuer,
            privateKey: opts.key === undefined ? undefined : readPrivateKey(opts.key),
            algorithm: opts.alg,
            kid: opts.kid,
          });
        } catch (err) {
          if (err instanceof MintTokenError) throw new UsageError(err.message);
          throw err;
        }
        process.stdout.write(`${token}\n`);
      });
    });
}

/**
 * `*` stands for every scope the gateway checks: each operation's security requirements, the policies' rules and the
 * auditor API's. The gateway itself has no wildcard scope, so a leaked development token is still a list of scopes.
 */
async function everyScope(config: GatehouseConfig, given: readonly string[]): Promise<string[]> {
  const spec = await loadSpecFile(config.spec);
  const scopes = new Set(given.filter((s) => s !== '*'));
  for (const op of spec.operations) for (const requirement of op.security) for (const list of Object.values(requirement)) list.forEach((s) => scopes.add(s));
  for (const rule of config.policies.rules) rule.scopes?.forEach((s) => scopes.add(s));
  scopes.add(AUDIT_SCOPE);
  return [...scopes].sort();
}

function readPrivateKey(file: string): KeyObject {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  try {
    return createPrivateKey(pem);
  } catch {
    throw new UsageError(`${file} is not a PEM private key`);
  }
}

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

function duration(value: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(value.trim());
  const seconds = match ? Number(match[1]) * (UNIT_SECONDS[match[2] || 's'] as number) : NaN;
  if (!Number.isSafeInteger(seconds) || seconds < 1) throw new InvalidArgumentError('a duration is like 90s, 15m, 1h, 2d');
  return seconds;
}

function claim(value: string, previous: Record<string, unknown>): Record<string, unknown> {
  const eq = value.indexOf('=');
  if (eq < 1) throw new InvalidArgumentError('a claim is name=value');
  const name = value.slice(0, eq);
  const raw = value.slice(eq + 1);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    parsed = raw;
  }
  return { ...previous, [name]: parsed };
}

function algorithm(value: string): JwsAlgorithm {
  if (!(JWS_ALGORITHMS as readonly string[]).includes(value)) throw new InvalidArgumentError(`one of ${JWS_ALGORITHMS.join(', ')}`);
  return value as JwsAlgorithm;
}
