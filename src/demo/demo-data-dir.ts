// A demo data directory (`gatehouse demo --data-dir DIR`) keeps, beside the demo's databases, the Ed25519 key that
// signs its audit checkpoints and a configuration with which `gatehouse audit verify | export` read that log later.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

export const DEMO_SIGNING_KEY_FILE = 'audit-signing-key.pem';
export const DEMO_CLI_CONFIG_FILE = 'gatehouse.yaml';

/** Names of the demo's databases inside the data directory. */
export const DEMO_DATABASES = { erp: 'erp', store: 'store' } as const;

/**
 * The directory's checkpoint signing key (PKCS#8 PEM), made on first use and kept (mode 0600): checkpoints signed in
 * one run still verify in the next, and from the command line.
 */
export function demoSigningKey(dir: string): string {
  const file = path.join(dir, DEMO_SIGNING_KEY_FILE);
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const pem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  // `wx`: two demos started at once on one directory must not end up with different keys.
  try {
    writeFileSync(file, pem, { flag: 'wx', mode: 0o600 });
    return pem;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return readFileSync(file, 'utf8');
    throw err;
  }
}

/** Writes DIR/gatehouse.yaml: the demo's contract, databases and signing key, for the CLI's audit commands. */
export function writeDemoCliConfig(dir: string, specFile: string): string {
  const file = path.join(dir, DEMO_CLI_CONFIG_FILE);
  const config = {
    spec: specFile,
    sources: { erp: { client: 'pglite', connection: DEMO_DATABASES.erp } },
    store: { client: 'pglite', connection: DEMO_DATABASES.store },
    audit: { signingKey: `\${file:${DEMO_SIGNING_KEY_FILE}}` },
  };
  const header = [
    '# Written by `gatehouse demo --data-dir` at every start. Once the demo has stopped (the databases here are',
    '# embedded: one process at a time), the CLI reads the demo\'s audit log with it:',
    `#   gatehouse audit verify --config ${file}`,
    `#   gatehouse audit export --config ${file} --from 2020-01-01 --to 2100-01-01`,
    '',
  ].join('\n');
  writeFileSync(file, header + YAML.stringify(config));
  return file;
}
