// Routing: method + path → the spec's Operation and its path parameters; 405 knowledge for known paths.
import type { Operation } from './resource.js';

export type RouteMatch =
  | { readonly kind: 'operation'; readonly operation: Operation; readonly params: readonly string[] }
  | { readonly kind: 'method-not-allowed'; readonly allowed: readonly string[] }
  | { readonly kind: 'none' };

interface Template {
  readonly segments: ReadonlyArray<{ readonly literal: string } | { readonly param: string }>;
  readonly byMethod: Map<string, Operation>;
}

export interface OperationIndex {
  match(method: string, path: string): RouteMatch;
  readonly operations: readonly Operation[];
}

export function buildOperationIndex(operations: readonly Operation[]): OperationIndex {
  const templates = new Map<string, Template>();
  for (const op of operations) {
    let template = templates.get(op.path);
    if (!template) {
      const segments = op.path
        .split('/')
        .filter(Boolean)
        .map((s) => (/^\{[^}]+\}$/.test(s) ? { param: s.slice(1, -1) } : { literal: s }));
      template = { segments, byMethod: new Map() };
      templates.set(op.path, template);
    }
    template.byMethod.set(op.method.toUpperCase(), op);
  }
  // Literal-only templates first, so `/items/export` would win over `/items/{code}`.
  const ordered = [...templates.values()].sort(
    (a, b) => a.segments.filter((s) => 'param' in s).length - b.segments.filter((s) => 'param' in s).length,
  );

  return {
    operations,
    match(method, path) {
      const parts = splitPath(path);
      if (!parts) return { kind: 'none' };
      for (const template of ordered) {
        const params = matchTemplate(template, parts);
        if (!params) continue;
        const operation = template.byMethod.get(method === 'HEAD' ? 'GET' : method);
        if (operation) return { kind: 'operation', operation, params };
        return { kind: 'method-not-allowed', allowed: [...template.byMethod.keys()] };
      }
      return { kind: 'none' };
    },
  };
}

function splitPath(path: string): string[] | undefined {
  const raw = path.split('/').filter((s, i) => i > 0 || s !== '');
  if (raw.length > 0 && raw[raw.length - 1] === '') raw.pop();
  try {
    return raw.map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

function matchTemplate(template: Template, parts: readonly string[]): string[] | undefined {
  if (template.segments.length !== parts.length) return undefined;
  const params: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const segment = template.segments[i]!;
    const part = parts[i]!;
    if ('literal' in segment) {
      if (segment.literal !== part) return undefined;
    } else {
      if (part === '') return undefined;
      params.push(part);
    }
  }
  return params;
}
