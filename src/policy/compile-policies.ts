// Policy rules from the configuration, checked against the contract at start-up ("did you mean") and compiled.
import type { FilterOpName, MaskMode, PoliciesConfig, PolicyOperation, PolicyRuleConfig } from '../config/types.js';
import { ConfigError } from '../errors/app-error.js';
import type { OperationKind, Resource } from '../openapi/resource.js';
import { didYouMean } from '../util/did-you-mean.js';
import type { ColumnGrant } from './decision.js';

export interface RowCondition {
  /** API property name. */
  readonly column: string;
  readonly op: FilterOpName;
  /** A literal, or a claim reference resolved per request. */
  readonly value: unknown;
}

export interface CompiledRule {
  readonly name: string;
  readonly scopes: ReadonlySet<string>;
  readonly roles: ReadonlySet<string>;
  readonly clients: ReadonlySet<string>;
  /** Resource name, or `*` for every resource. */
  readonly resource: string;
  readonly kinds: ReadonlySet<OperationKind>;
  /** Readable API names; undefined means every property. */
  readonly read: ReadonlySet<string> | undefined;
  /** Writable API names; undefined means every property that is not read-only. */
  readonly write: ReadonlySet<string> | undefined;
  readonly rows: readonly RowCondition[];
  readonly force: Readonly<Record<string, unknown>>;
  readonly mask: ReadonlyMap<string, MaskMode>;
  readonly maxAffected: number | undefined;
  /** The rule grants `export`: a list may stream every matching row (`limit=all`). */
  readonly export: boolean;
}

export interface CompiledPolicy {
  readonly rules: readonly CompiledRule[];
  readonly maskKey: string | undefined;
  /** What each rule lets a caller see and write on each resource, worked out once per pair (policy/evaluate.ts). */
  readonly grants: Map<CompiledRule, Map<string, ColumnGrant>>;
}

const READ_KINDS: OperationKind[] = ['list', 'read'];
const WRITE_KINDS: OperationKind[] = ['create', 'update', 'replace', 'delete', 'updateMany', 'deleteMany'];
const OPERATION_KINDS: Record<PolicyOperation, readonly OperationKind[]> = {
  read: READ_KINDS,
  write: WRITE_KINDS,
  list: ['list'],
  get: ['read'],
  create: ['create'],
  update: ['update'],
  replace: ['replace'],
  delete: ['delete'],
  updateMany: ['updateMany'],
  deleteMany: ['deleteMany'],
  export: ['list'],
};
const CLAIM_REF = /^\{claims\.([A-Za-z0-9_.:-]+)\}$/;

/** A `{claims.path}` reference, kept apart from literals so it is resolved (and bound) per request. */
export interface ClaimRef {
  readonly claim: readonly string[];
}

export function isClaimRef(value: unknown): value is ClaimRef {
  return typeof value === 'object' && value !== null && 'claim' in value;
}

export function compilePolicies(config: PoliciesConfig, resources: readonly Resource[]): CompiledPolicy {
  const problems: string[] = [];
  const byName = new Map(resources.map((r) => [r.name, r]));
  const names = new Set<string>();
  const rules = config.rules.map((rule, index) => {
    const at = `policies.rules[${index}] (${rule.name})`;
    if (names.has(rule.name)) problems.push(`${at}.name: duplicate rule name`);
    names.add(rule.name);
    return compileRule(rule, at, byName, problems);
  });
  if (rules.some((r) => r.mask.size > 0 && [...r.mask.values()].includes('hash')) && !config.maskKey) {
    problems.push('policies.maskKey: required when a rule masks with "hash"');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { rules, maskKey: config.maskKey, grants: new Map() };
}

function compileRule(
  rule: PolicyRuleConfig,
  at: string,
  resources: ReadonlyMap<string, Resource>,
  problems: string[],
): CompiledRule {
  if (!rule.scopes?.length && !rule.roles?.length && !rule.clients?.length) {
    problems.push(`${at}: names no scopes, roles or clients, so it would apply to nobody`);
  }
  const resource = rule.resource === '*' ? undefined : resources.get(rule.resource);
  if (rule.resource !== '*' && !resource) {
    problems.push(`${at}.resource: "${rule.resource}" is not a resource of the contract${didYouMean(rule.resource, resources.keys())}`);
  }
  const needsResource = rule.columns || rule.rows || rule.force || rule.mask;
  if (rule.resource === '*' && needsResource) {
    problems.push(`${at}: a rule for every resource (*) cannot name columns, rows, force or mask`);
  }
  const checkColumns = (list: Iterable<string>, path: string): void => {
    if (!resource) return;
    for (const name of list) {
      if (!resource.columns.has(name)) {
        problems.push(`${at}.${path}: "${name}" is not a property of ${resource.name}${didYouMean(name, resource.columns.keys())}`);
      }
    }
  };
  checkColumns(rule.columns?.read ?? [], 'columns.read');
  checkColumns(rule.columns?.write ?? [], 'columns.write');
  checkColumns(Object.keys(rule.rows ?? {}), 'rows');
  checkColumns(Object.keys(rule.force ?? {}), 'force');
  checkColumns(Object.keys(rule.mask ?? {}), 'mask');
  for (const name of rule.columns?.write ?? []) {
    if (resource?.columns.get(name)?.readOnly) problems.push(`${at}.columns.write: "${name}" is read-only in the contract`);
  }
  const read = rule.columns?.read ? new Set(rule.columns.read) : undefined;
  for (const name of Object.keys(rule.mask ?? {})) {
    if (read && !read.has(name)) problems.push(`${at}.mask: "${name}" is masked but not readable under this rule`);
  }
  const rows: RowCondition[] = [];
  for (const [column, ops] of Object.entries(rule.rows ?? {})) {
    for (const [op, raw] of Object.entries(ops)) {
      rows.push({ column, op: op as FilterOpName, value: parseValue(raw, `${at}.rows.${column}.${op}`, problems) });
      if (op === 'in' && !Array.isArray(raw)) problems.push(`${at}.rows.${column}.in: must be a list`);
      if (op === 'is' && !['null', 'not_null', 'true', 'false'].includes(String(raw))) {
        problems.push(`${at}.rows.${column}.is: must be null, not_null, true or false`);
      }
    }
  }
  const force = Object.fromEntries(
    Object.entries(rule.force ?? {}).map(([k, v]) => [k, parseValue(v, `${at}.force.${k}`, problems)]),
  );
  const kinds = new Set((rule.operations ?? ['read']).flatMap((o) => OPERATION_KINDS[o]));
  return {
    name: rule.name,
    scopes: new Set(rule.scopes ?? []),
    roles: new Set(rule.roles ?? []),
    clients: new Set(rule.clients ?? []),
    resource: rule.resource,
    kinds,
    export: (rule.operations ?? []).includes('export'),
    read,
    write: rule.columns?.write ? new Set(rule.columns.write) : undefined,
    rows,
    force,
    mask: new Map(Object.entries(rule.mask ?? {})),
    maxAffected: rule.maxAffected,
  };
}

function parseValue(raw: unknown, at: string, problems: string[]): unknown {
  if (Array.isArray(raw)) return raw.map((v, i) => parseValue(v, `${at}[${i}]`, problems));
  if (typeof raw !== 'string' || !raw.includes('{')) return raw;
  const match = CLAIM_REF.exec(raw);
  if (!match) {
    problems.push(`${at}: "${raw}" — a claim reference is the whole value, like "{claims.region}"`);
    return raw;
  }
  return { claim: match[1]!.split('.') } satisfies ClaimRef;
}
