// The contract trimmed to what one caller may do: only allowed operations, only readable properties.
import type { Principal } from '../auth/principal.js';
import type { CompiledPolicy } from '../policy/compile-policies.js';
import { evaluatePolicy } from '../policy/evaluate.js';
import type { Operation } from './resource.js';

export function scopeDocument(
  document: Record<string, unknown>,
  operations: readonly Operation[],
  policy: CompiledPolicy,
  principal: Principal,
): Record<string, unknown> {
  const doc = structuredClone(document);
  const paths = (doc.paths ?? {}) as Record<string, Record<string, unknown>>;
  const visibleByEntity = new Map<string, Set<string>>();
  for (const op of operations) {
    const evaluation = evaluatePolicy(policy, principal, op);
    const item = paths[op.path];
    if (!item) continue;
    if (!evaluation.allowed) {
      delete item[op.method];
      continue;
    }
    if (op.resource.entityName) {
      const names = visibleByEntity.get(op.resource.entityName) ?? new Set<string>();
      for (const name of evaluation.decision.visible) names.add(name);
      visibleByEntity.set(op.resource.entityName, names);
    }
  }
  for (const [path, item] of Object.entries(paths)) {
    const hasOperation = ['get', 'post', 'put', 'patch', 'delete'].some((m) => m in item);
    if (item['x-gatehouse'] !== undefined && !hasOperation) delete paths[path];
  }
  const schemas = ((doc.components as Record<string, unknown> | undefined)?.schemas ?? {}) as Record<
    string,
    { properties?: Record<string, unknown>; required?: string[] }
  >;
  for (const op of operations) {
    const name = op.resource.entityName;
    const schema = name ? schemas[name] : undefined;
    if (!name || !schema?.properties) continue;
    const visible = visibleByEntity.get(name) ?? new Set<string>();
    for (const property of Object.keys(schema.properties)) if (!visible.has(property)) delete schema.properties[property];
    if (schema.required) schema.required = schema.required.filter((p) => visible.has(p));
  }
  return doc;
}
