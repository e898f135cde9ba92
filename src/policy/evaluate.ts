// Pure policy evaluation: (policy, principal, operation) → Decision, or the error that denies. No I/O.
import type { Principal } from '../auth/principal.js';
import { type AppError, ForbiddenError } from '../errors/app-error.js';
import type { Operation, Resource } from '../openapi/resource.js';
import type { Filter, FilterValue } from '../query/types.js';
import { isClaimRef, type CompiledPolicy, type CompiledRule, type RowCondition } from './compile-policies.js';
import type { ColumnGrant, Decision } from './decision.js';

export type Evaluation =
  | { readonly allowed: true; readonly decision: Decision }
  | { readonly allowed: false; readonly error: AppError; readonly rule: string | undefined };

export function evaluatePolicy(policy: CompiledPolicy, principal: Principal, operation: Operation): Evaluation {
  const scopeError = checkRequiredScopes(principal, operation);
  if (scopeError) return { allowed: false, error: scopeError, rule: undefined };
  const rule = policy.rules.find((r) => appliesTo(r, principal, operation));
  if (!rule) {
    // 403, not 401: the caller is authenticated; no rule grants this operation on this resource.
    return {
      allowed: false,
      rule: undefined,
      error: new ForbiddenError('policy_denied', `no access rule allows ${operation.kind} on ${operation.resource.name}`),
    };
  }
  try {
    return { allowed: true, decision: decide(policy, rule, principal, operation.resource) };
  } catch (err) {
    return { allowed: false, error: err as AppError, rule: rule.name };
  }
}

/** The operation's `security` requirements: all scopes of at least one requirement object must be held. */
function checkRequiredScopes(principal: Principal, operation: Operation): AppError | undefined {
  if (operation.security.length === 0) return undefined;
  const satisfied = operation.security.some((requirement) =>
    Object.values(requirement).every((scopes) => scopes.every((s) => principal.scopes.has(s))),
  );
  if (satisfied) return undefined;
  const needed = [...new Set(Object.values(operation.security[0] ?? {}).flat())].join(' ');
  return new ForbiddenError('insufficient_scope', `this operation needs the scope ${needed}`, {
    headers: {
      'WWW-Authenticate': `Bearer realm="gatehouse", error="insufficient_scope", scope="${needed}"`,
    },
  });
}

function appliesTo(rule: CompiledRule, principal: Principal, operation: Operation): boolean {
  if (rule.resource !== '*' && rule.resource !== operation.resource.name) return false;
  if (!rule.kinds.has(operation.kind)) return false;
  for (const s of rule.scopes) if (principal.scopes.has(s)) return true;
  for (const r of rule.roles) if (principal.roles.has(r)) return true;
  return principal.clientId !== undefined && rule.clients.has(principal.clientId);
}

/** What a rule lets a caller see and write on a resource does not depend on the caller: worked out once per pair. */
function columnGrant(policy: CompiledPolicy, rule: CompiledRule, resource: Resource): ColumnGrant {
  let byResource = policy.grants.get(rule);
  if (!byResource) {
    byResource = new Map();
    policy.grants.set(rule, byResource);
  }
  let grant = byResource.get(resource.name);
  if (!grant) {
    const all = [...resource.columns.keys()];
    const visible = new Set(rule.read ? all.filter((c) => rule.read!.has(c)) : all);
    const writableAll = [...resource.columns.values()].filter((c) => !c.readOnly).map((c) => c.name);
    const writable = new Set(rule.write ? writableAll.filter((c) => rule.write!.has(c)) : writableAll);
    const masks = new Map([...rule.mask].filter(([c]) => visible.has(c)));
    const filterable = new Set([...visible].filter((c) => !masks.has(c)));
    grant = { visible, filterable, masks, writable };
    byResource.set(resource.name, grant);
  }
  return grant;
}

function decide(policy: CompiledPolicy, rule: CompiledRule, principal: Principal, resource: Resource): Decision {
  const { visible, filterable, masks, writable } = columnGrant(policy, rule, resource);
  const rowFilters = rule.rows.map((cond) => toFilter(cond, principal, resource, rule.name));
  const forced: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(rule.force)) {
    forced[column] = resolve(value, principal, resource.columns.get(column)!.kind, rule.name);
  }
  return { visible, filterable, masks, writable, rowFilters, forced, maxAffected: rule.maxAffected, rule: rule.name, exportAll: rule.export };
}

function toFilter(cond: RowCondition, principal: Principal, resource: Resource, ruleName: string): Filter {
  const kind = resource.columns.get(cond.column)!.kind;
  if (cond.op === 'is') {
    return { column: cond.column, op: 'is', value: String(cond.value) as 'null' | 'not_null' | 'true' | 'false', negate: false };
  }
  if (cond.op === 'in') {
    const values = (cond.value as unknown[]).flatMap((v) => {
      const resolved = resolve(v, principal, kind, ruleName);
      return Array.isArray(resolved) ? resolved : [resolved];
    });
    return { column: cond.column, op: 'in', values: values as FilterValue[], negate: false };
  }
  const value = resolve(cond.value, principal, kind, ruleName);
  if (Array.isArray(value)) {
    // A list-valued claim with eq means "any of these".
    return { column: cond.column, op: 'in', values: value as FilterValue[], negate: false };
  }
  return { column: cond.column, op: cond.op, value: value as FilterValue, negate: false };
}

/** A claim reference → the claim's value (coerced to the column's kind); a missing claim denies, never widens. */
function resolve(value: unknown, principal: Principal, kind: string, ruleName: string): unknown {
  if (!isClaimRef(value)) return value;
  let current: unknown = principal.claims;
  for (const part of value.claim) {
    current = typeof current === 'object' && current !== null ? (current as Record<string, unknown>)[part] : undefined;
  }
  if (current === undefined || current === null || (typeof current === 'object' && !Array.isArray(current))) {
    throw new ForbiddenError('policy_claim_missing', `the token lacks the claim ${value.claim.join('.')} that rule ${ruleName} needs`);
  }
  const coerce = (v: unknown): unknown =>
    (kind === 'integer' || kind === 'number') && typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
  return Array.isArray(current) ? current.map(coerce) : coerce(current);
}
