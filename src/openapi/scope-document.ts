// The contract trimmed to what one caller may do: only allowed operations, only readable properties; and which
// properties answers mask, for that caller or for any.
import type { Principal } from '../auth/principal.js';
import type { MaskMode } from '../config/types.js';
import type { CompiledPolicy } from '../policy/compile-policies.js';
import { evaluatePolicy } from '../policy/evaluate.js';
import type { Operation } from './resource.js';
import type { MaskedProperties } from './served-answers.js';

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

/** What the public document must admit: every property some rule masks, for some callers (others may see it plain). */
export function maskedByAnyRule(operations: readonly Operation[], policy: CompiledPolicy | undefined): MaskedProperties {
  const out = new Map<string, Map<string, { modes: Set<MaskMode>; always: boolean }>>();
  for (const rule of policy?.rules ?? []) {
    if (rule.mask.size === 0) continue;
    for (const op of operations) {
      const entity = op.resource.entityName;
      if (!entity || (rule.resource !== '*' && rule.resource !== op.resource.name)) continue;
      const byProperty = out.get(entity) ?? new Map<string, { modes: Set<MaskMode>; always: boolean }>();
      out.set(entity, byProperty);
      for (const [property, mode] of rule.mask) {
        const entry = byProperty.get(property) ?? { modes: new Set<MaskMode>(), always: false };
        entry.modes.add(mode);
        byProperty.set(property, entry);
      }
    }
  }
  return out;
}

/** What one caller is answered: a property is masked always when no operation it may call shows it plain. */
export function maskedFor(operations: readonly Operation[], policy: CompiledPolicy, principal: Principal): MaskedProperties {
  const masked = new Map<string, Map<string, Set<MaskMode>>>();
  const plain = new Map<string, Set<string>>();
  for (const op of operations) {
    const entity = op.resource.entityName;
    if (!entity) continue;
    const evaluation = evaluatePolicy(policy, principal, op);
    if (!evaluation.allowed) continue;
    const { visible, masks } = evaluation.decision;
    for (const property of visible) {
      const mode = masks.get(property);
      if (mode === undefined) {
        const seen = plain.get(entity) ?? new Set<string>();
        seen.add(property);
        plain.set(entity, seen);
        continue;
      }
      const byProperty = masked.get(entity) ?? new Map<string, Set<MaskMode>>();
      masked.set(entity, byProperty);
      byProperty.set(property, (byProperty.get(property) ?? new Set<MaskMode>()).add(mode));
    }
  }
  return new Map(
    [...masked].map(([entity, byProperty]) => [
      entity,
      new Map([...byProperty].map(([property, modes]) => [property, { modes, always: !plain.get(entity)?.has(property) }])),
    ]),
  );
}
