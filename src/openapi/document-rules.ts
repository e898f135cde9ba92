// What makes an OpenAPI 3.1 document wrong beyond its JSON Schema: unique operation ids, path parameters that match the
// path template, no parameter twice, arrays with items, security schemes with what their type needs. Each is checked in
// one pass (a list of every operation id scanned per operation was quadratic on a 1,000-table contract).
import { follow } from './json-pointer.js';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
const SCHEME_NEEDS: Readonly<Record<string, readonly string[]>> = {
  apiKey: ['name', 'in'],
  http: ['scheme'],
  oauth2: ['flows'],
  openIdConnect: ['openIdConnectUrl'],
  mutualTLS: [],
};

type Node = Record<string, unknown>;

export function checkDocumentRules(document: Node, resolveRef: (ref: string) => unknown): string[] {
  const problems: string[] = [];
  const resolve = (value: unknown): Node | undefined => {
    const node = follow(resolveRef, value);
    return typeof node === 'object' && node !== null && !Array.isArray(node) ? (node as Node) : undefined;
  };
  const paths = (document.paths ?? {}) as Record<string, unknown>;
  const components = (document.components ?? {}) as Node;
  if (Object.keys(paths).length === 0 && Object.keys((document.webhooks ?? {}) as Node).length === 0 && Object.keys(components).length === 0) {
    problems.push('(document): an OpenAPI 3.1 document needs at least one entry in paths, webhooks or components');
  }
  const operationIds = new Map<string, string>();
  for (const [path, value] of Object.entries(paths)) {
    const item = resolve(value);
    if (!item) continue;
    const pathParams = parameters(item.parameters, resolve);
    checkDuplicates(pathParams, `paths.${path}.parameters`, problems);
    for (const method of METHODS) {
      const op = item[method] as Node | undefined;
      if (typeof op !== 'object' || op === null) continue;
      const at = `paths.${path}.${method}`;
      if (typeof op.operationId === 'string') {
        const first = operationIds.get(op.operationId);
        if (first) problems.push(`${at}: operationId ${op.operationId} is already used by ${first}; operation ids must be unique`);
        else operationIds.set(op.operationId, at);
      }
      const own = parameters(op.parameters, resolve);
      checkDuplicates(own, `${at}.parameters`, problems);
      // An operation's parameter overrides the path item's of the same name and location.
      const merged = [...own, ...pathParams.filter((p) => !own.some((o) => o.name === p.name && o.in === p.in))];
      checkPathParameters(path, merged, at, problems);
      for (const param of merged) checkParameterSchema(param, `${at}.parameters.${String(param.name)}`, resolve, problems);
      for (const [code, r] of Object.entries((op.responses ?? {}) as Node)) {
        const response = resolve(r);
        if (response) checkResponse(response, `${at}.responses.${code}`, resolve, problems);
      }
    }
  }
  return problems;
}

function parameters(list: unknown, resolve: (value: unknown) => Node | undefined): Node[] {
  if (!Array.isArray(list)) return [];
  return list.map(resolve).filter((p): p is Node => p !== undefined);
}

function checkDuplicates(params: readonly Node[], at: string, problems: string[]): void {
  const seen = new Set<string>();
  for (const p of params) {
    const key = `${String(p.in)} ${String(p.name)}`;
    if (seen.has(key)) problems.push(`${at}: more than one ${String(p.in)} parameter is named ${String(p.name)}`);
    seen.add(key);
  }
}

function checkPathParameters(path: string, params: readonly Node[], at: string, problems: string[]): void {
  const placeholders = new Set([...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!));
  const declared = new Set<string>();
  for (const p of params.filter((param) => param.in === 'path')) {
    const name = String(p.name);
    declared.add(name);
    if (p.required !== true) problems.push(`${at}: path parameter ${name} must be required: true`);
    if (!placeholders.has(name)) problems.push(`${at}: path parameter ${name} has no {${name}} in the path`);
  }
  const undeclared = [...placeholders].filter((name) => !declared.has(name));
  if (undeclared.length > 0) problems.push(`${at}: no path parameter declares ${undeclared.map((n) => `{${n}}`).join(', ')}`);
}

function checkParameterSchema(param: Node, at: string, resolve: (value: unknown) => Node | undefined, problems: string[]): void {
  if (param.schema !== undefined) {
    checkArray(param.schema, at, problems);
    return;
  }
  const content = param.content as Node | undefined;
  if (!content) return;
  const types = Object.keys(content);
  if (types.length !== 1) {
    problems.push(`${at}: content must have exactly one media type (found ${types.length})`);
    return;
  }
  const media = resolve(content[types[0]!]);
  if (media?.schema !== undefined) checkArray(media.schema, `${at}.content.${types[0]}.schema`, problems);
}

function checkResponse(response: Node, at: string, resolve: (value: unknown) => Node | undefined, problems: string[]): void {
  for (const [name, h] of Object.entries((response.headers ?? {}) as Node)) {
    const header = resolve(h);
    if (!header) continue;
    if (header.schema !== undefined) checkArray(header.schema, `${at}.headers.${name}`, problems);
    for (const [type, media] of Object.entries((header.content ?? {}) as Node)) {
      const m = resolve(media);
      if (m?.schema !== undefined) checkArray(m.schema, `${at}.headers.${name}.content.${type}.schema`, problems);
    }
  }
  for (const [type, media] of Object.entries((response.content ?? {}) as Node)) {
    const m = resolve(media);
    if (m?.schema !== undefined) checkArray(m.schema, `${at}.content.${type}.schema`, problems);
  }
}

/** A schema written in place (not a reference) of type array must say what its items are. */
function checkArray(schema: unknown, at: string, problems: string[]): void {
  if (typeof schema !== 'object' || schema === null || '$ref' in schema) return;
  const s = schema as Node;
  if (s.type === 'array' && s.items === undefined) problems.push(`${at}: an array schema needs items`);
}

/** Checked before the OpenAPI schema, whose oneOf over the scheme types would bury the one thing missing. */
export function securitySchemeProblems(document: Node, resolveRef: (ref: string) => unknown): string[] {
  const problems: string[] = [];
  const resolve = (value: unknown): Node | undefined => {
    const node = follow(resolveRef, value);
    return typeof node === 'object' && node !== null && !Array.isArray(node) ? (node as Node) : undefined;
  };
  const schemes = ((document.components as Node | undefined)?.securitySchemes ?? {}) as Node;
  for (const [name, value] of Object.entries(schemes)) {
    const scheme = resolve(value);
    if (!scheme) continue;
    const at = `components.securitySchemes.${name}`;
    const type = scheme.type;
    if (typeof type !== 'string' || !(type in SCHEME_NEEDS)) {
      problems.push(`${at}.type: must be one of ${Object.keys(SCHEME_NEEDS).join(', ')} (found ${JSON.stringify(type)})`);
      continue;
    }
    for (const key of SCHEME_NEEDS[type]!) if (!(key in scheme)) problems.push(`${at}: a ${type} scheme needs ${key}`);
  }
  return problems;
}
