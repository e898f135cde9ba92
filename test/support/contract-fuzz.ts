// A schema-driven fuzzer for a served OpenAPI document: json-schema-faker makes each request from the operation's
// parameters and request body (seeded, so a run repeats), and ajv checks each answer against the documents.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { createGeneratorSync, type JsonSchema } from 'json-schema-faker';

type Json = Record<string, unknown>;
type AddFormats = (ajv: Ajv2020) => Ajv2020;
const addFormats: AddFormats =
  (addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats);

export const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

export interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

export interface Answer {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly text: string;
  header(name: string): string | undefined;
}

/** Follows `$ref`s inside the document (the demo's have no cycles); `#/a/b` only. */
export function deref(document: Json, node: unknown, seen: ReadonlySet<string> = new Set()): unknown {
  if (Array.isArray(node)) return node.map((n) => deref(document, n, seen));
  if (typeof node !== 'object' || node === null) return node;
  const record = node as Json;
  if (typeof record.$ref === 'string' && record.$ref.startsWith('#/')) {
    if (seen.has(record.$ref)) return {};
    const target = at(document, record.$ref);
    const { $ref: _ref, ...rest } = record;
    return deref(document, { ...(target as Json), ...rest }, new Set([...seen, record.$ref]));
  }
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, deref(document, v, seen)]));
}

function at(document: Json, ref: string): unknown {
  return ref
    .slice(2)
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((node, part) => (node as Json | undefined)?.[part], document);
}

const pointerPart = (part: string): string => part.replace(/~/g, '~0').replace(/\//g, '~1');

/** A small seeded generator for the fuzzer's own choices (which optional parameter, which Accept). */
export function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RequestMaker {
  requests(path: string, method: string, count: number): FuzzRequest[];
}

/**
 * Requests for one operation. Values come from json-schema-faker over the documented schemas; `select` is drawn
 * from the properties the 200 answer documents, and `Prefer` and `Accept` from what the document lists.
 */
export function requestMaker(document: Json, seed: number): RequestMaker {
  const faker = createGeneratorSync({ seed, optionalsProbability: 0.5, maxItems: 3, maxLength: 24 });
  const random = seeded(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const fake = (schema: unknown): unknown => faker.generate(deref(document, schema) as JsonSchema);
  return {
    requests(route, method, count) {
      const item = deref(document, (document.paths as Json)[route]) as Json;
      const op = item[method] as Json;
      const parameters = [...((item.parameters as Json[] | undefined) ?? []), ...((op.parameters as Json[] | undefined) ?? [])];
      const responses = (op.responses ?? {}) as Record<string, Json>;
      const okProperties = Object.keys(propertiesOf((responses['200']?.content as Record<string, Json> | undefined)?.['application/json']?.schema));
      const accepts = [...new Set(Object.entries(responses).filter(([s]) => s.startsWith('2')).flatMap(([, r]) => Object.keys((r.content as Json | undefined) ?? {})))];
      const bodySchema = ((op.requestBody as Json | undefined)?.content as Record<string, Json> | undefined)?.['application/json']?.schema;
      const out: FuzzRequest[] = [];
      for (let i = 0; i < count; i += 1) {
        let path = route;
        const query = new URLSearchParams();
        const headers: Record<string, string> = {};
        for (const parameter of parameters) {
          const name = String(parameter.name);
          if (parameter.in === 'path') {
            path = path.replace(`{${name}}`, encodeURIComponent(String(fake(parameter.schema))));
            continue;
          }
          if (!parameter.required && random() < 0.5) continue;
          if (parameter.in === 'query') {
            if (name === 'select' && okProperties.length > 0) {
              query.set(name, okProperties.filter(() => random() < 0.4).join(',') || pick(okProperties));
            } else query.set(name, String(fake(parameter.schema)));
          } else if (parameter.in === 'header') {
            const examples = Object.values((parameter.examples as Record<string, Json> | undefined) ?? {}).map((e) => String(e.value));
            headers[name] = examples.length > 0 ? pick(examples) : String(fake(parameter.schema));
          }
        }
        if (accepts.length > 0 && random() < 0.6) headers.Accept = pick(accepts);
        let body: string | undefined;
        if (bodySchema) {
          body = JSON.stringify(fake(bodySchema));
          headers['Content-Type'] = 'application/json';
        }
        const search = query.toString();
        out.push({ method: method.toUpperCase(), path: search ? `${path}?${search}` : path, headers, body });
      }
      return out;
    },
  };
}

function propertiesOf(schema: unknown): Json {
  const s = schema as Json | undefined;
  if (!s) return {};
  if (s.type === 'array') return propertiesOf(s.items);
  if (Array.isArray(s.oneOf)) return Object.assign({}, ...s.oneOf.map(propertiesOf)) as Json;
  return (s.properties as Json | undefined) ?? {};
}

export interface ContractChecker {
  /** What is wrong with the answer under the document (empty: nothing). */
  check(route: string, method: string, answer: Answer): string[];
  /** The document's problem schema, for answers outside any operation (an unknown path). */
  checkProblem(answer: Answer): string[];
}

/** ajv over a served document: status documented, content type documented, body valid against its schema. */
export function contractChecker(document: Json, problemRef: string): ContractChecker {
  const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  addFormats(ajv);
  ajv.addFormat('decimal', /^-?\d+(?:\.\d+)?$/);
  ajv.addFormat('int64', /^-?\d{1,19}$/);
  ajv.addSchema(document, 'contract', undefined, false);
  const compiled = new Map<string, ValidateFunction>();
  const validate = (pointer: string, value: unknown): string[] => {
    let fn = compiled.get(pointer);
    if (!fn) {
      fn = ajv.compile({ $ref: `contract#${pointer}` });
      compiled.set(pointer, fn);
    }
    if (fn(value)) return [];
    return (fn.errors ?? []).slice(0, 3).map((e) => `${e.instancePath || '/'} ${e.message ?? 'is invalid'} ${JSON.stringify(e.params)}`);
  };
  const bodyProblems = (schemaPointer: string, answer: Answer, type: string): string[] => {
    if (type === 'application/json' || type.endsWith('+json')) {
      let value: unknown;
      try {
        value = JSON.parse(answer.text);
      } catch {
        return [`the ${type} body is not JSON`];
      }
      return validate(schemaPointer, value);
    }
    return validate(schemaPointer, answer.text);
  };
  /** The response object's pointer, following one `$ref` to components.responses. */
  const responsePointer = (pointer: string): string => {
    const node = at(document, `#${pointer}`) as Json;
    return typeof node.$ref === 'string' ? node.$ref.slice(1) : pointer;
  };
  const checkResponse = (pointer: string, answer: Answer): string[] => {
    const response = at(document, `#${pointer}`) as Json;
    const content = (response.content ?? {}) as Record<string, Json>;
    const missing = Object.entries((response.headers ?? {}) as Record<string, Json>)
      .filter(([name, header]) => header.required === true && answer.header(name) === undefined)
      .map(([name]) => `the documented header ${name} is missing`);
    if (missing.length > 0) return missing;
    if (answer.text.length === 0) return [];
    const type = answer.contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
    if (!(type in content)) return [`content type ${type || '(none)'} is not documented (${Object.keys(content).join(', ') || 'no body'})`];
    if (!content[type]!.schema) return [];
    return bodyProblems(`${pointer}/content/${pointerPart(type)}/schema`, answer, type);
  };
  return {
    check(route, method, answer) {
      const opPointer = `/paths/${pointerPart(route)}/${method}`;
      const responses = ((at(document, `#${opPointer}`) as Json | undefined)?.responses ?? {}) as Json;
      const key = [String(answer.status), `${String(answer.status)[0]}XX`, 'default'].find((k) => k in responses);
      if (!key) return [`status ${answer.status} is not documented (${Object.keys(responses).join(', ')})`];
      return checkResponse(responsePointer(`${opPointer}/responses/${pointerPart(key)}`), answer);
    },
    checkProblem(answer) {
      return validate(problemRef, JSON.parse(answer.text));
    },
  };
}
