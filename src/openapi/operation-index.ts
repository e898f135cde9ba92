// Routing: method + path → the spec's Operation and its path parameters; 405 knowledge for known paths.
// The templates are compiled at start-up into a tree of path segments, so a request costs one step per segment
// whatever the size of the contract (a thousand tables route as fast as one).
import type { Operation } from './resource.js';

export type RouteMatch =
  | { readonly kind: 'operation'; readonly operation: Operation; readonly params: readonly string[] }
  | { readonly kind: 'method-not-allowed'; readonly allowed: readonly string[] }
  | { readonly kind: 'none' };

export interface OperationIndex {
  match(method: string, path: string): RouteMatch;
  readonly operations: readonly Operation[];
}

/** One segment position: literal children first, then a parameter child; a template ends at `byMethod`. */
interface Node {
  readonly literals: Map<string, Node>;
  param: Node | undefined;
  byMethod: Map<string, Operation> | undefined;
  allowed: readonly string[];
}

const NONE: RouteMatch = { kind: 'none' };

export function buildOperationIndex(operations: readonly Operation[]): OperationIndex {
  const root = newNode();
  for (const op of operations) {
    let node = root;
    for (const segment of op.path.split('/').filter(Boolean)) {
      if (/^\{[^}]+\}$/.test(segment)) node = node.param ??= newNode();
      else {
        let next = node.literals.get(segment);
        if (!next) {
          next = newNode();
          node.literals.set(segment, next);
        }
        node = next;
      }
    }
    node.byMethod ??= new Map();
    node.byMethod.set(op.method.toUpperCase(), op);
    node.allowed = [...node.byMethod.keys()];
  }

  return {
    operations,
    match(method, path) {
      const parts = splitPath(path);
      if (!parts) return NONE;
      const params: string[] = [];
      const node = find(root, parts, 0, params);
      if (!node) return NONE;
      const operation = node.byMethod!.get(method === 'HEAD' ? 'GET' : method);
      if (operation) return { kind: 'operation', operation, params };
      return { kind: 'method-not-allowed', allowed: node.allowed };
    },
  };
}

function newNode(): Node {
  return { literals: new Map(), param: undefined, byMethod: undefined, allowed: [] };
}

/** Depth-first, a literal before a parameter at each segment (so `/items/export` wins over `/items/{code}`). */
function find(node: Node, parts: readonly string[], i: number, params: string[]): Node | undefined {
  if (i === parts.length) return node.byMethod ? node : undefined;
  const part = parts[i]!;
  const literal = node.literals.get(part);
  if (literal) {
    const found = find(literal, parts, i + 1, params);
    if (found) return found;
  }
  if (node.param && part !== '') {
    params.push(part);
    const found = find(node.param, parts, i + 1, params);
    if (found) return found;
    params.pop();
  }
  return undefined;
}

/**
 * `/a/b%20c` → ['a', 'b c']; a malformed escape matches nothing. A trailing slash is an empty last segment, which
 * no template matches: `/items/` is an item with an empty key, not the collection, and answers 404.
 */
function splitPath(path: string): string[] | undefined {
  const raw = path.split('/');
  if (raw[0] === '') raw.shift();
  if (path.indexOf('%') < 0) return raw;
  try {
    return raw.map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}
