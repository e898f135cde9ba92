// gatehouse.example.yaml documents every configuration key with its default, and `gatehouse config check` validates
// a file and prints the effective configuration without its secrets.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import bytes from 'bytes';
import YAML from 'yaml';
import { loadConfig } from '../src/config/load.js';
import { configJsonSchema } from '../src/config/schema.js';
import { gatehouse } from './support/gatehouse-cli.js';
import { ERP_SPEC, projectRoot } from './support/project.js';

const EXAMPLE = path.join(projectRoot, 'gatehouse.example.yaml');
/** What the example's own secret references need to load. */
const EXAMPLE_ENV = { ERP_DATABASE_URL: 'postgres://gatehouse:example-password@db.example.internal/erp' };

type Schema = {
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly additionalProperties?: boolean | Schema;
  readonly items?: Schema;
  readonly oneOf?: readonly Schema[];
  readonly default?: unknown;
};

/** Every key path of the configuration schema (`sources.*.pool.max`, `auth.issuers[].keys[].jwks.url`), with its default. */
function schemaKeys(schema: Schema, at = ''): Array<{ path: string; default?: unknown; hasDefault: boolean }> {
  const out: Array<{ path: string; default?: unknown; hasDefault: boolean }> = [];
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    const keyPath = at ? `${at}.${key}` : key;
    out.push({ path: keyPath, default: child.default, hasDefault: 'default' in child });
    out.push(...schemaKeys(child, keyPath));
  }
  if (typeof schema.additionalProperties === 'object') out.push(...schemaKeys(schema.additionalProperties, `${at}.*`));
  if (schema.items) out.push(...schemaKeys(schema.items, `${at}[]`));
  for (const alternative of schema.oneOf ?? []) out.push(...schemaKeys(alternative, at));
  return out;
}

/** The parts of the printed configuration the tests look at. */
interface Effective {
  sources: { erp: { connection: string } };
  server: { bodyLimitBytes: number };
  rateLimit: { principal: { audit: { limit: number } } };
  auth: { issuers: [{ keys: [{ secret?: string }] }] };
  policies: { maskKey?: string };
  redis: { url?: string };
}

/** The file's users write sizes; the schema holds bytes. */
const WRITTEN_AS: Record<string, string> = { 'server.bodyLimitBytes': 'server.bodyLimit' };

/** The example with its commented-out keys (`# key: value`, at the key's own indentation) switched on. */
function uncommented(text: string): unknown {
  const lines = text.split('\n').map((line) => line.replace(/^(\s*)# (\s*(?:- )?[A-Za-z][A-Za-z0-9_-]*:(?: |$))/, '$1$2'));
  return YAML.parse(lines.join('\n'));
}

/** Values at a key path; `*` and `[]` fan out over every entry. */
function valuesAt(doc: unknown, keyPath: string): unknown[] {
  let nodes: unknown[] = [doc];
  for (const part of keyPath.split('.')) {
    const [name, ...arrays] = part.split('[]');
    nodes = nodes.flatMap((node) => {
      if (typeof node !== 'object' || node === null) return [];
      const record = node as Record<string, unknown>;
      let found = name === '*' ? Object.values(record) : name! in record ? [record[name!]] : [];
      for (let i = 0; i < arrays.length; i++) found = found.flatMap((v) => (Array.isArray(v) ? v : []));
      return found;
    });
  }
  return nodes;
}

describe('gatehouse.example.yaml', () => {
  let text: string;
  before(async () => {
    text = await readFile(EXAMPLE, 'utf8');
  });

  it('when its commented-out keys are counted too, then it names every key of the configuration schema', () => {
    const doc = uncommented(text);
    const missing = schemaKeys((configJsonSchema as unknown as Schema))
      .map((k) => WRITTEN_AS[k.path] ?? k.path)
      .filter((keyPath) => valuesAt(doc, keyPath).length === 0);
    assert.deepEqual(missing, [], 'document these keys in gatehouse.example.yaml');
  });

  it('when a key it shows has a default, then it shows that default', () => {
    // Scalars wherever they appear; lists as shipped (a commented-out example list is an example, not the default).
    const shipped = YAML.parse(text) as unknown;
    const doc = uncommented(text);
    const wrong: string[] = [];
    for (const key of schemaKeys((configJsonSchema as unknown as Schema))) {
      if (!key.hasDefault || (typeof key.default === 'object' && key.default !== null && !Array.isArray(key.default))) continue;
      const written = WRITTEN_AS[key.path];
      for (const value of valuesAt(Array.isArray(key.default) ? shipped : doc, written ?? key.path)) {
        const actual = written === 'server.bodyLimit' ? bytes.parse(String(value)) : value;
        if (JSON.stringify(actual) !== JSON.stringify(key.default)) wrong.push(`${key.path}: ${JSON.stringify(value)}, default ${JSON.stringify(key.default)}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it('when it is loaded as shipped (with its one environment variable), then it is a valid configuration', () => {
    const config = loadConfig({ file: EXAMPLE, env: EXAMPLE_ENV });
    assert.equal(config.spec, ERP_SPEC);
    assert.equal(config.sources.erp?.connection, EXAMPLE_ENV.ERP_DATABASE_URL);
    assert.equal(config.audit?.mode, 'strict');
  });
});

describe('gatehouse config check', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-config-check-'));
  });
  after(async () => dir && rm(dir, { recursive: true, force: true }));

  const write = async (name: string, doc: unknown): Promise<string> => {
    const file = path.join(dir, name);
    await writeFile(file, typeof doc === 'string' ? doc : YAML.stringify(doc));
    return file;
  };

  it('when it reads the shipped example, then it exits 0 and prints the effective configuration, password redacted', async () => {
    const result = await gatehouse(['config', 'check', '--config', EXAMPLE], { env: EXAMPLE_ENV });
    assert.equal(result.code, 0, result.stderr);
    const effective = YAML.parse(result.stdout) as Effective;
    assert.equal(effective.sources.erp.connection, 'postgres://gatehouse:[redacted]@db.example.internal/erp');
    assert.equal(effective.server.bodyLimitBytes, 1048576, 'defaults are filled in');
    assert.equal(effective.rateLimit.principal.audit.limit, 60);
    assert.doesNotMatch(result.stdout, /example-password/);
    assert.match(result.stderr, /note: auth\.issuers is empty: every call will be refused with 401/);
    assert.match(result.stderr, /config check: .*gatehouse\.example\.yaml is valid/);
  });

  it('when the configuration holds secrets, then none of them is printed', async () => {
    const secrets = { jwt: 'j'.repeat(40), mask: 'mask-key-0123456789', redis: 'redis-password-42', store: 'store-password-7' };
    const file = await write('secrets.yaml', {
      spec: ERP_SPEC,
      sources: { erp: { client: 'pg', connection: `host=db user=app password=${secrets.store}` } },
      auth: { issuers: [{ issuer: 'https://idp', audience: 'gatehouse', keys: [{ algorithms: ['HS256'], secret: '${JWT_SECRET}' }] }] },
      policies: { maskKey: secrets.mask, rules: [{ name: 'read-items', scopes: ['items:read'], resource: 'items', operations: ['read'] }] },
      redis: { url: `redis://default:${secrets.redis}@redis:6379` },
    });
    const result = await gatehouse(['config', 'check', '--config', file, '--format', 'json'], { env: { JWT_SECRET: secrets.jwt } });
    assert.equal(result.code, 0, result.stderr);
    for (const secret of Object.values(secrets)) assert.ok(!result.stdout.includes(secret), `${secret} is not printed`);
    const effective = JSON.parse(result.stdout) as Effective;
    assert.equal(effective.auth.issuers[0].keys[0].secret, '[redacted]');
    assert.equal(effective.policies.maskKey, '[redacted]');
    assert.equal(effective.redis.url, 'redis://default:[redacted]@redis:6379');
    assert.equal(effective.sources.erp.connection, 'host=db user=app password=[redacted]');
  });

  it('when keys, the contract and the rules disagree, then it exits 2 listing every problem, without connecting', async () => {
    const file = await write('bad.yaml', {
      spec: ERP_SPEC,
      // Nothing listens on port 1: the check must not try.
      sources: { erp: { client: 'pg', connection: 'postgres://127.0.0.1:1/erp' } },
      audit: { mode: 'strict' },
      auth: { issuers: [{ issuer: 'https://idp', audience: 'gatehouse', keys: [{ algorithms: ['ES256'], publicKey: 'not a key' }] }] },
      policies: { rules: [{ name: 'bad-column', scopes: ['customers:read'], resource: 'customers', operations: ['read'], columns: { read: ['nmae'] } }] },
    });
    const result = await gatehouse(['config', 'check', '--config', file]);
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, /audit: needs a store: section/);
    assert.match(result.stderr, /auth\.issuers\[0\]\.keys\[0\]/);
    assert.match(result.stderr, /nmae/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  });

  it('when a key is misspelt, then it exits 2 with the key, its path and a suggestion on one line', async () => {
    const file = await write('typo.yaml', { spec: ERP_SPEC, sources: { erp: { client: 'pglite', connection: 'memory://' } }, limits: { maxPagesize: 10 } });
    const result = await gatehouse(['config', 'check', '--config', file]);
    assert.equal(result.code, 2);
    assert.equal(result.stderr, 'gatehouse: invalid configuration: limits.maxPagesize: unknown key (did you mean "maxPageSize"?)\n');
  });

  it('when no --config is given, then GATEHOUSE_CONFIG names the file', async () => {
    const file = await write('from-env.yaml', { spec: ERP_SPEC, sources: { erp: { client: 'pglite', connection: 'memory://' } }, auth: { disabled: true } });
    const result = await gatehouse(['config', 'check', '--quiet'], { env: { GATEHOUSE_CONFIG: file } });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '');
    const missing = await gatehouse(['config', 'check'], { env: { GATEHOUSE_CONFIG: path.join(dir, 'nowhere.yaml') } });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^gatehouse: cannot read .*nowhere\.yaml: there is no such file\n$/);
  });
});
