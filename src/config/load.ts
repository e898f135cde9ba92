// Loads gatehouse.yaml: file → environment overrides → secret references → defaults → validation.
// The only module that reads process.env (callers pass it in, so tests can too).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import bytes from 'bytes';
import YAML from 'yaml';
import { ConfigError } from '../errors/app-error.js';
import { didYouMean } from '../util/did-you-mean.js';
import { networkConfigProblems } from '../net/network-policy.js';
import { validate as generatedValidate } from '../generated/config-validator.js';
import { configJsonSchema } from './schema.js';
import { discoveryConfigProblems, normaliseDiscovery } from './schema-discovery.js';
import type { AuthConfig, GatehouseConfig, SourceConfig } from './types.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** The configuration schema as ajv compiled it ahead of time (npm run gen:validators); it applies the defaults. */
const validate = generatedValidate as unknown as ValidateFunction;

export interface LoadConfigOptions {
  /** The YAML file; when undefined, `raw` must be given. */
  readonly file?: string;
  /** An already-parsed document (used by `gatehouse demo` and tests). */
  readonly raw?: unknown;
  readonly env?: Env;
  /** Directory that relative paths (spec, pglite data dirs, secret files) are resolved against. */
  readonly baseDir?: string;
}

const ENV_PREFIX = 'GATEHOUSE_';

export function loadConfig(options: LoadConfigOptions): GatehouseConfig {
  const env = options.env ?? {};
  let raw: unknown = options.raw;
  let baseDir = options.baseDir ?? process.cwd();
  if (options.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.file, 'utf8');
    } catch (err) {
      throw new ConfigError([`cannot read ${options.file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
    }
    try {
      raw = YAML.parse(text) ?? {};
    } catch (err) {
      throw new ConfigError([`${options.file} is not valid YAML: ${(err as Error).message}`]);
    }
    baseDir = options.baseDir ?? path.dirname(path.resolve(options.file));
  }
  if (raw === undefined || raw === null) raw = {};
  if (typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(['the configuration must be a mapping']);

  const doc = structuredClone(raw) as Record<string, unknown>;
  applyEnvOverrides(doc, env);
  const problems: string[] = [];
  const resolved = resolveSecrets(doc, env, baseDir, '', problems) as Record<string, unknown>;
  normaliseSizes(resolved, problems);
  if (problems.length > 0) throw new ConfigError(problems);

  if (!validate(resolved)) throw new ConfigError(describeSchemaErrors(validate.errors ?? []));
  // CIDRs and zone references need more than JSON Schema can say; reported with their key paths.
  const networkProblems = networkConfigProblems((resolved as unknown as GatehouseConfig).network);
  const discoveryProblems = discoveryConfigProblems(resolved.discovery as Parameters<typeof discoveryConfigProblems>[0]);
  if (networkProblems.length + discoveryProblems.length > 0) throw new ConfigError([...networkProblems, ...discoveryProblems]);
  const typed = resolved as unknown as GatehouseConfig;
  if (typed.auth.disabled && !isLoopbackHost(typed.server.host)) {
    throw new ConfigError([
      `auth.disabled: only allowed while server.host is a loopback address (it is ${typed.server.host}); configure auth.issuers to listen beyond this machine`,
    ]);
  }

  return finalise(resolved as unknown as GatehouseConfig, baseDir);
}

/**
 * `GATEHOUSE_SERVER__PORT=9090` sets server.port; `__` separates levels, and each name is matched against the keys
 * the file has and the keys the schema knows, ignoring case and underscores: `GATEHOUSE_LIMITS__MAXPAGESIZE` and
 * `GATEHOUSE_LIMITS__MAX_PAGE_SIZE` both set limits.maxPageSize (source names keep their case). `PORT` sets server.port.
 * Only names with a `__` (and `GATEHOUSE_SPEC`) are overrides: Kubernetes injects service-link variables
 * such as `GATEHOUSE_PORT=tcp://…` and `GATEHOUSE_SERVICE_HOST` for a Service named gatehouse, and
 * other tools set their own `GATEHOUSE_*`; none of them may change, or break, the configuration.
 */
function applyEnvOverrides(doc: Record<string, unknown>, env: Env): void {
  const entries = Object.entries(env).filter(
    ([k, v]) => k.startsWith(ENV_PREFIX) && v !== undefined && (k.slice(ENV_PREFIX.length).includes('__') || k === 'GATEHOUSE_SPEC'),
  );
  for (const [name, value] of entries) {
    const segments = name.slice(ENV_PREFIX.length).split('__').filter(Boolean);
    if (segments.length === 0) continue;
    setPath(doc, segments, (keys) => envValue(value as string, keys));
  }
  if (env.PORT !== undefined && env.PORT !== '') setPath(doc, ['server', 'port'], () => Number(env.PORT));
}

/**
 * Override values are YAML (numbers, booleans, lists), except where the schema wants text: a password such as
 * `12345` or `@dm1n` must reach the connection string as written, not as a number or a YAML error.
 */
function envValue(raw: string, keys: readonly string[]): unknown {
  if (schemaAt(keys)?.type === 'string') return raw;
  try {
    return YAML.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

function schemaAt(keys: readonly string[]): { type?: unknown } | undefined {
  let node: unknown = configJsonSchema;
  for (const key of keys) {
    const n = node as { properties?: Record<string, unknown>; additionalProperties?: unknown } | undefined;
    node = n?.properties?.[key] ?? (typeof n?.additionalProperties === 'object' ? n.additionalProperties : undefined);
    if (node === undefined) return undefined;
  }
  return node as { type?: unknown };
}

/** Sets the value at `segments`, matching existing and schema keys loosely (see above); `value` gets the keys as resolved. */
function setPath(doc: Record<string, unknown>, segments: readonly string[], value: (keys: readonly string[]) => unknown): void {
  let node = doc;
  const keys: string[] = [];
  segments.forEach((segment, index) => {
    const wanted = looseName(segment);
    const known = [...Object.keys(node), ...schemaKeysAt(keys)];
    const key = known.find((k) => looseName(k) === wanted) ?? camelCase(segment);
    keys.push(key);
    if (index === segments.length - 1) {
      node[key] = value(keys);
      return;
    }
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  });
}

/** Environment variable names are upper case and may or may not mark word breaks with `_`: compare without either. */
function looseName(name: string): string {
  return name.toLowerCase().replace(/_/g, '');
}

/** The property names the schema declares at `keys` (none under a map such as `sources`). */
function schemaKeysAt(keys: readonly string[]): string[] {
  const node = keys.length === 0 ? configJsonSchema : schemaAt(keys);
  const properties = (node as { properties?: Record<string, unknown> } | undefined)?.properties;
  return properties ? Object.keys(properties) : [];
}

function camelCase(segment: string): string {
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

const SECRET_REF = /\$\{(file:)?([^}]+)\}/g;

/** `${NAME}` takes an environment variable; `${file:path}` a file's trimmed content (Kubernetes secret mounts). */
function resolveSecrets(node: unknown, env: Env, baseDir: string, at: string, problems: string[]): unknown {
  if (typeof node === 'string') {
    return node.replace(SECRET_REF, (_match, isFile: string | undefined, ref: string) => {
      if (isFile) {
        try {
          return readFileSync(path.resolve(baseDir, ref), 'utf8').trim();
        } catch {
          problems.push(`${at || '(root)'}: secret file ${ref} cannot be read`);
          return '';
        }
      }
      const value = env[ref];
      if (value === undefined) {
        problems.push(`${at || '(root)'}: environment variable ${ref} is not set`);
        return '';
      }
      return value;
    });
  }
  if (Array.isArray(node)) return node.map((v, i) => resolveSecrets(v, env, baseDir, `${at}[${i}]`, problems));
  if (typeof node === 'object' && node !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(node)) out[k] = resolveSecrets(v, env, baseDir, at ? `${at}.${k}` : k, problems);
    return out;
  }
  return node;
}

/** `server.bodyLimit: 1mb` → bytes, so the schema and the rest of the code see numbers. */
function normaliseSizes(doc: Record<string, unknown>, problems: string[]): void {
  const server = doc.server as Record<string, unknown> | undefined;
  if (server && 'bodyLimit' in server) {
    const parsed = typeof server.bodyLimit === 'number' ? server.bodyLimit : bytes.parse(String(server.bodyLimit));
    if (parsed === null || !Number.isFinite(parsed) || parsed <= 0) {
      problems.push(`server.bodyLimit: "${String(server.bodyLimit)}" is not a size (e.g. 512kb, 1mb)`);
    } else {
      server.bodyLimitBytes = parsed;
    }
    delete server.bodyLimit;
  }
}

function describeSchemaErrors(errors: readonly ErrorObject[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const e of errors) {
    const at = pointerToPath(e.instancePath);
    let message: string;
    // propertyNames reports twice: once as a wrapper, once (with propertyName) saying why; keep the one naming the key.
    if (e.keyword === 'propertyNames') continue;
    if (e.propertyName !== undefined) {
      message = `${at ? `${at}.` : ''}${e.propertyName}: is not an allowed name (${e.message ?? 'invalid'})`;
    } else if (e.keyword === 'additionalProperties') {
      const extra = String(e.params.additionalProperty);
      const allowed = allowedKeysAt(e.schemaPath);
      message = `${at ? `${at}.` : ''}${extra}: unknown key${didYouMean(extra, allowed)}`;
    } else if (e.keyword === 'enum') {
      message = `${at}: must be one of ${(e.params.allowedValues as unknown[]).join(', ')}`;
    } else if (e.keyword === 'required') {
      message = `${at ? `${at}.` : ''}${String(e.params.missingProperty)}: is required`;
    } else {
      message = `${at || '(root)'}: ${e.message ?? 'is invalid'}`;
    }
    if (!seen.has(message)) {
      seen.add(message);
      out.push(message);
    }
  }
  return out;
}

function pointerToPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

function allowedKeysAt(schemaPath: string): string[] {
  // schemaPath looks like "#/properties/server/additionalProperties"
  const parts = schemaPath.replace(/^#\//, '').split('/').slice(0, -1);
  let node: unknown = configJsonSchema;
  for (const p of parts) node = (node as Record<string, unknown> | undefined)?.[p];
  const props = (node as { properties?: Record<string, unknown> } | undefined)?.properties;
  return props ? Object.keys(props) : [];
}

function finalise(config: GatehouseConfig, baseDir: string): GatehouseConfig {
  const sources: Record<string, SourceConfig> = {};
  for (const [name, source] of Object.entries(config.sources)) {
    const connection =
      source.client === 'pglite' && !source.connection.startsWith('memory://')
        ? path.resolve(baseDir, source.connection)
        : source.connection;
    sources[name] = { ...source, connection };
  }
  // The store's PGlite directory, the audit sink and witness files, like the spec, are named relative to the config file.
  const store =
    config.store && config.store.client === 'pglite' && !config.store.connection.startsWith('memory://')
      ? { ...config.store, connection: path.resolve(baseDir, config.store.connection) }
      : config.store;
  const relative = <T extends { readonly file?: string }>(section: T): T =>
    section.file === undefined ? section : { ...section, file: path.resolve(baseDir, section.file) };
  const audit = config.audit && { ...config.audit, sink: relative(config.audit.sink), witness: relative(config.audit.witness) };
  return {
    ...config,
    spec: path.resolve(baseDir, config.spec),
    sources,
    store,
    audit,
    auth: resolveJwksFiles(config.auth, baseDir),
    discovery: normaliseDiscovery(config.discovery as unknown as Parameters<typeof normaliseDiscovery>[0]),
  };
}

/** JWKS files, like the spec, are named relative to the config file. */
function resolveJwksFiles(auth: AuthConfig, baseDir: string): AuthConfig {
  const issuers = auth.issuers.map((issuer) => ({
    ...issuer,
    keys: issuer.keys.map((key) =>
      key.jwks?.file === undefined ? key : { ...key, jwks: { ...key.jwks, file: path.resolve(baseDir, key.jwks.file) } },
    ),
  }));
  return { ...auth, issuers };
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
