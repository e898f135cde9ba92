// Local references in the contract: resolving `#/…` JSON pointers, and dereferencing one schema without copying the document.

/** The value a local `$ref` (`#/components/schemas/Item`) points at, or undefined when nothing is there. */
export function resolvePointer(document: unknown, ref: string): unknown {
  if (!ref.startsWith('#')) return undefined;
  const pointer = decodeURIComponent(ref.slice(1));
  if (pointer === '') return document;
  if (!pointer.startsWith('/')) return undefined;
  let node: unknown = document;
  for (const raw of pointer.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, token)) return undefined;
    node = (node as Record<string, unknown>)[token];
  }
  return node;
}

export function isLocalRef(value: unknown): value is { $ref: string } {
  return typeof value === 'object' && value !== null && typeof (value as { $ref?: unknown }).$ref === 'string' && (value as { $ref: string }).$ref.startsWith('#');
}

/**
 * `resolvePointer` for one document, remembering each reference's target: a generated contract repeats the same few
 * references thousands of times (`#/components/parameters/select` in every operation). Valid while the document is
 * not changed.
 */
export function createResolver(document: unknown): (ref: string) => unknown {
  const targets = new Map<string, unknown>();
  return (ref) => {
    if (targets.has(ref)) return targets.get(ref);
    const target = resolvePointer(document, ref);
    targets.set(ref, target);
    return target;
  };
}

/**
 * Follows a chain of local references to what it ends on (a cycle or a missing target: undefined). `document` is the
 * document itself or its resolver (createResolver).
 */
export function follow(document: unknown, value: unknown): unknown {
  const resolve = typeof document === 'function' ? (document as (ref: string) => unknown) : (ref: string) => resolvePointer(document, ref);
  if (!isLocalRef(value)) return value;
  const seen = new Set<string>();
  let node: unknown = value;
  while (isLocalRef(node)) {
    if (seen.has(node.$ref)) return undefined;
    seen.add(node.$ref);
    node = resolve(node.$ref);
  }
  return node;
}

/**
 * `schema` with every local `$ref` inside it replaced by its target, as a full dereference would give it: a schema
 * without references is returned as it is (no copy), shared targets stay shared, and a circular reference becomes a
 * cycle of objects. Siblings of a `$ref` are laid over its target. External references are left as they are (the
 * validators report them).
 */
export function dereferenceSchema<T>(document: unknown, schema: T): T {
  const done = new Map<object, unknown>();
  const following = new Set<object>();
  const visit = (node: unknown): unknown => {
    if (typeof node !== 'object' || node === null) return node;
    const known = done.get(node);
    if (known !== undefined) return known;
    if (!containsRef(node, new Set())) {
      done.set(node, node);
      return node;
    }
    if (isLocalRef(node)) {
      const { $ref, ...siblings } = node as Record<string, unknown> & { $ref: string };
      const target = resolvePointer(document, $ref);
      if (target === undefined) return node;
      if (Object.keys(siblings).length === 0) {
        // A cycle through the target ends on the target's copy (registered before its children are visited); only a
        // cycle of bare references has nothing to end on, and stays a reference.
        if (following.has(node)) return node;
        following.add(node);
        const resolved = visit(target);
        following.delete(node);
        done.set(node, resolved);
        return resolved;
      }
      const merged: Record<string, unknown> = {};
      done.set(node, merged);
      const base = visit(target);
      if (typeof base === 'object' && base !== null) Object.assign(merged, base);
      for (const [k, v] of Object.entries(siblings)) merged[k] = visit(v);
      return merged;
    }
    if (Array.isArray(node)) {
      const copy: unknown[] = [];
      done.set(node, copy);
      for (const item of node) copy.push(visit(item));
      return copy;
    }
    const copy: Record<string, unknown> = {};
    done.set(node, copy);
    for (const [k, v] of Object.entries(node)) copy[k] = visit(v);
    return copy;
  };
  return visit(schema) as T;
}

function containsRef(node: unknown, seen: Set<object>): boolean {
  if (typeof node !== 'object' || node === null || seen.has(node)) return false;
  seen.add(node);
  if (isLocalRef(node)) return true;
  if (Array.isArray(node)) return node.some((item) => containsRef(item, seen));
  for (const key in node) if (containsRef((node as Record<string, unknown>)[key], seen)) return true;
  return false;
}
