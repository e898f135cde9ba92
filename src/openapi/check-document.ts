// The contract checked as an OpenAPI 3.1 document: the OpenAPI schema on the document as written, every local reference
// resolved and of the right kind, and the rules JSON Schema cannot say (document-rules.ts).
import type { ErrorObject, ValidateFunction } from 'ajv';
import * as compiled from '../generated/openapi-validators.js';
import { checkDocumentRules, securitySchemeProblems } from './document-rules.js';
import { createResolver, follow, isLocalRef } from './json-pointer.js';
import { exportName, REFERENCE_ROLES as ROLES, type ReferenceRole as Role } from './reference-roles.js';

/** Most schema errors reported at once: past that, the first ones say enough. */
const MAX_SCHEMA_ERRORS = 20;

/**
 * The problems of `document` as an OpenAPI 3.1 contract (none: it is valid). The document is checked as written, each
 * shared component once, rather than dereferenced (every component checked wherever it is referenced, which on a
 * 1,000-table contract took seconds and a copy of the document); what a dereferenced check adds is kept: a reference
 * that does not resolve is an error, and a reference's target is checked as what its place asks for (a response
 * where a response is expected), unless it is a component of that kind, which the schema has checked already.
 */
export function checkDocument(document: Record<string, unknown>): string[] {
  const { validate, validateAs } = compileOpenApiSchema();
  const resolve = createResolver(document);
  const problems = referenceProblems(document, resolve);
  if (problems.length > 0) return problems;
  problems.push(...securitySchemeProblems(document, resolve));
  if (problems.length > 0) return problems;
  if (!validate(document)) return describeErrors(validate.errors ?? [], '');
  problems.push(...targetProblems(document, resolve, validateAs));
  if (problems.length > 0) return problems;
  return checkDocumentRules(document, resolve);
}

interface OpenApiSchema {
  readonly validate: ValidateFunction;
  /** The validator of one definition of the OpenAPI schema (`response`, `parameter`, ...). */
  validateAs(definition: Role): ValidateFunction;
}

/** The OpenAPI 3.1 schema (openapi-schema.ts), compiled ahead of time by ajv (npm run gen:validators). */
function compileOpenApiSchema(): OpenApiSchema {
  const validators = compiled as unknown as Record<string, ValidateFunction>;
  return {
    validate: validators.document!,
    validateAs: (definition) => validators[exportName(definition)]!,
  };
}

/** Every local `$ref` in the document must point at something. */
function referenceProblems(document: Record<string, unknown>, resolve: (ref: string) => unknown): string[] {
  const problems: string[] = [];
  const missing = new Set<string>();
  const walk = (node: unknown): void => {
    if (typeof node !== 'object' || node === null) return;
    if (Array.isArray(node)) {
      for (const item of node) walk(item);
      return;
    }
    const record = node as Record<string, unknown>;
    const ref = record.$ref;
    if (typeof ref === 'string' && ref.startsWith('#') && !missing.has(ref) && resolve(ref) === undefined) {
      missing.add(ref);
      problems.push(`${ref}: the reference points at nothing in the document`);
    }
    for (const key in record) walk(record[key]);
  };
  walk(document);
  return problems;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** References whose target lies outside the components section of its kind: the target is checked as that kind. */
function targetProblems(
  document: Record<string, unknown>,
  resolve: (ref: string) => unknown,
  validateAs: (definition: Role) => ValidateFunction,
): string[] {
  const problems: string[] = [];
  const checked = new Set<string>();
  const at = (role: Role, value: unknown, where: string): void => {
    if (!isLocalRef(value)) return;
    const ref = value.$ref;
    if (ref.startsWith(`#/components/${ROLES[role]}/`) && ref.split('/').length === 4) return;
    if (checked.has(`${role} ${ref}`)) return;
    checked.add(`${role} ${ref}`);
    const target = follow(resolve, value);
    const validate = validateAs(role);
    if (target !== undefined && !validate(target)) {
      problems.push(...describeErrors(validate.errors ?? [], `${where} → ${ref}`));
    }
  };
  const each = (map: unknown, role: Role, where: string): void => {
    if (typeof map !== 'object' || map === null) return;
    for (const [k, v] of Object.entries(map)) at(role, v, `${where}.${k}`);
  };
  const list = (items: unknown, role: Role, where: string): void => {
    if (Array.isArray(items)) items.forEach((v, i) => at(role, v, `${where}[${i}]`));
  };
  const inner = (value: unknown): Record<string, unknown> | undefined => {
    const node = follow(resolve, value);
    return typeof node === 'object' && node !== null ? (node as Record<string, unknown>) : undefined;
  };
  const content = (map: unknown, where: string): void => {
    if (typeof map !== 'object' || map === null) return;
    for (const [type, media] of Object.entries(map)) {
      const m = inner(media);
      if (m) each(m.examples, 'example', `${where}.content.${type}.examples`);
    }
  };
  const response = (value: unknown, where: string): void => {
    const r = inner(value);
    if (!r) return;
    each(r.headers, 'header', `${where}.headers`);
    each(r.links, 'link', `${where}.links`);
    content(r.content, where);
  };
  const pathItem = (item: Record<string, unknown> | undefined, where: string): void => {
    if (!item) return;
    list(item.parameters, 'parameter', `${where}.parameters`);
    for (const method of METHODS) {
      const op = item[method] as Record<string, unknown> | undefined;
      if (typeof op !== 'object' || op === null) continue;
      const opAt = `${where}.${method}`;
      list(op.parameters, 'parameter', `${opAt}.parameters`);
      at('request-body', op.requestBody, `${opAt}.requestBody`);
      each(op.responses, 'response', `${opAt}.responses`);
      each(op.callbacks, 'callbacks', `${opAt}.callbacks`);
      const responses = op.responses as Record<string, unknown> | undefined;
      for (const [code, r] of Object.entries(responses ?? {})) response(r, `${opAt}.responses.${code}`);
    }
  };
  for (const section of ['paths', 'webhooks'] as const) {
    const items = (document[section] ?? {}) as Record<string, unknown>;
    for (const [path, item] of Object.entries(items)) {
      at('path-item', item, `${section}.${path}`);
      pathItem(inner(item), `${section}.${path}`);
    }
  }
  const components = (document.components ?? {}) as Record<string, unknown>;
  for (const role of Object.keys(ROLES) as Role[]) each(components[ROLES[role]], role, `components.${ROLES[role]}`);
  for (const [name, r] of Object.entries((components.responses ?? {}) as Record<string, unknown>)) response(r, `components.responses.${name}`);
  return problems;
}

/** ajv's errors as `where: message` lines, without the noise of the alternatives a oneOf or an if tried. */
function describeErrors(errors: readonly ErrorObject[], prefix: string): string[] {
  const specific = errors.filter((e) => !['if', 'oneOf', 'anyOf', 'then', 'else'].includes(e.keyword));
  const chosen = specific.length > 0 ? specific : errors;
  const place = (e: ErrorObject): string => [prefix, pointerToPath(e.instancePath)].filter(Boolean).join(', at ') || '(document)';
  const lines = [...new Set(chosen.map((e) => `${place(e)}: ${message(e)}`))];
  return lines.length > MAX_SCHEMA_ERRORS ? [...lines.slice(0, MAX_SCHEMA_ERRORS), `and ${lines.length - MAX_SCHEMA_ERRORS} more`] : lines;
}

function message(e: ErrorObject): string {
  if (e.keyword === 'additionalProperties' || e.keyword === 'unevaluatedProperties') {
    const name = String(e.params.additionalProperty ?? e.params.unevaluatedProperty);
    return `unknown property "${name}"`;
  }
  if (e.keyword === 'required') return `is missing the required property "${String(e.params.missingProperty)}"`;
  return e.message ?? 'is invalid';
}

/** `/paths/~1items/get` → `paths./items.get` (how the other start-up messages name places). */
function pointerToPath(pointer: string): string {
  if (pointer === '') return '';
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}
