// One resource → its collection and item path items: bindings, operations, scopes, responses and links.
import type { JsonSchema } from '../resource.js';
import { PROBLEM_RESPONSE } from './shared-components.js';

export interface ResourcePlan {
  /** Path segment and scope prefix (`cust-mstr`). */
  readonly resource: string;
  /** Entity schema name (`CustMstr`). */
  readonly entity: string;
  readonly tag: string;
  /** What one row is called in summaries (`CUST_MSTR row`). */
  readonly noun: string;
  readonly binding: Readonly<Record<string, unknown>>;
  /** Item path parameters, one per key property, in key order; empty: collection only. */
  readonly itemParams: ReadonlyArray<{ readonly name: string; readonly schema: JsonSchema; readonly description: string }>;
  readonly writable: boolean;
  /** Operation ids by operation kind. */
  readonly operationIds: Readonly<Record<OperationName, string>>;
  /** OpenAPI links on the item's 200 response (foreign keys). */
  readonly links: Readonly<Record<string, unknown>> | undefined;
}

export type OperationName = 'list' | 'create' | 'updateMany' | 'deleteMany' | 'read' | 'update' | 'replace' | 'delete';

const FILTERS =
  'Filter with one query parameter per property, PostgREST style: `?property=op.value` with `eq`, `neq`, `lt`, `lte`, `gt`, `gte`, `like`, `ilike`, `in.(a,b)`, `is.null`, and `not.` to negate.';

export function collectionPathItem(plan: ResourcePlan): Record<string, unknown> {
  const entity = ref(plan.entity);
  const many = { type: 'array', items: entity };
  const item: Record<string, unknown> = {
    'x-gatehouse': plan.binding,
    get: {
      operationId: plan.operationIds.list,
      tags: [plan.tag],
      summary: `List ${plan.noun}s`,
      description: FILTERS,
      security: read(plan),
      parameters: params('select', 'order', 'limit', 'offset', 'cursor', 'Prefer'),
      responses: {
        '200': { description: `The matching ${plan.noun}s.`, content: json(many) },
        ...problems(400, 401, 403),
      },
    },
  };
  if (!plan.writable) return item;
  item.post = {
    operationId: plan.operationIds.create,
    tags: [plan.tag],
    summary: `Create one or more ${plan.noun}s`,
    description:
      'Send one object or an array of them (one statement, all or nothing). With `Prefer: resolution=merge-duplicates` (or `ignore-duplicates`) rows whose key already exists are updated (or skipped).',
    security: write(plan),
    parameters: params('select', 'Prefer'),
    requestBody: { required: true, content: json({ oneOf: [entity, { ...many, minItems: 1 }] }) },
    responses: {
      '201': {
        description: 'Created; the body mirrors the request (one object or an array), unless `Prefer: return=minimal`.',
        content: json({ oneOf: [entity, many] }),
      },
      ...problems(400, 401, 403, 409, 413, 415, 422),
    },
  };
  item.patch = {
    operationId: plan.operationIds.updateMany,
    tags: [plan.tag],
    summary: `Update every ${plan.noun} matching the filters`,
    description: `${FILTERS} A filter is required. Only the properties sent are changed. \`Prefer: max-affected=N\` fails the request, changing nothing, if more than N rows would change.`,
    security: write(plan),
    parameters: params('select', 'Prefer'),
    requestBody: { required: true, content: json(entity) },
    responses: {
      '200': { description: 'The updated rows (`Prefer: return=representation`).', content: json(many) },
      '204': { description: 'Updated; no body (`Prefer: return=minimal`).' },
      ...problems(400, 401, 403, 409, 413, 415, 422),
    },
  };
  item.delete = {
    operationId: plan.operationIds.deleteMany,
    tags: [plan.tag],
    summary: `Delete every ${plan.noun} matching the filters`,
    description: `${FILTERS} A filter is required. \`Prefer: max-affected=N\` fails the request, deleting nothing, if more than N rows would go.`,
    security: write(plan),
    parameters: params('select', 'Prefer'),
    responses: {
      '200': { description: 'The deleted rows (`Prefer: return=representation`).', content: json(many) },
      '204': { description: 'Deleted; no body (`Prefer: return=minimal`).' },
      ...problems(400, 401, 403, 409),
    },
  };
  return item;
}

export function itemPathItem(plan: ResourcePlan): Record<string, unknown> {
  const entity = ref(plan.entity);
  const item: Record<string, unknown> = {
    'x-gatehouse': plan.binding,
    parameters: plan.itemParams.map((p) => ({
      name: p.name,
      in: 'path',
      required: true,
      description: p.description,
      schema: p.schema,
    })),
    get: {
      operationId: plan.operationIds.read,
      tags: [plan.tag],
      summary: `Get one ${plan.noun}`,
      security: read(plan),
      parameters: params('select'),
      responses: {
        '200': {
          description: `The ${plan.noun}.`,
          content: json(entity),
          ...(plan.links ? { links: plan.links } : {}),
        },
        ...problems(400, 401, 403, 404),
      },
    },
  };
  if (!plan.writable) return item;
  const writeResponses = (what: string, verb: string) => ({
    '200': { description: `${what} (\`Prefer: return=representation\`).`, content: json(entity) },
    '204': { description: `${verb}; no body (\`Prefer: return=minimal\`).` },
  });
  item.patch = {
    operationId: plan.operationIds.update,
    tags: [plan.tag],
    summary: `Update one ${plan.noun}`,
    description: 'Only the properties sent are changed.',
    security: write(plan),
    parameters: params('select', 'Prefer'),
    requestBody: { required: true, content: json(entity) },
    responses: { ...writeResponses(`The updated ${plan.noun}`, 'Updated'), ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
  };
  item.put = {
    operationId: plan.operationIds.replace,
    tags: [plan.tag],
    summary: `Replace one ${plan.noun}`,
    description: 'Writable properties left out of the body become null.',
    security: write(plan),
    parameters: params('select', 'Prefer'),
    requestBody: { required: true, content: json(entity) },
    responses: { ...writeResponses(`The ${plan.noun} as stored`, 'Replaced'), ...problems(400, 401, 403, 404, 409, 413, 415, 422) },
  };
  item.delete = {
    operationId: plan.operationIds.delete,
    tags: [plan.tag],
    summary: `Delete one ${plan.noun}`,
    security: write(plan),
    parameters: params('select', 'Prefer'),
    responses: { ...writeResponses(`The deleted ${plan.noun}`, 'Deleted'), ...problems(400, 401, 403, 404, 409) },
  };
  return item;
}

function ref(entity: string): JsonSchema {
  return { $ref: `#/components/schemas/${entity}` };
}

function json(schema: JsonSchema): Record<string, unknown> {
  return { 'application/json': { schema } };
}

function params(...names: string[]): Array<Record<string, string>> {
  return names.map((n) => ({ $ref: `#/components/parameters/${n}` }));
}

function problems(...statuses: number[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const status of statuses) out[String(status)] = { $ref: `#/components/responses/${PROBLEM_RESPONSE}` };
  out.default = { $ref: `#/components/responses/${PROBLEM_RESPONSE}` };
  return out;
}

function read(plan: ResourcePlan): Array<Record<string, string[]>> {
  return [{ bearer: [`${plan.resource}:read`] }];
}

function write(plan: ResourcePlan): Array<Record<string, string[]>> {
  return [{ bearer: [`${plan.resource}:write`] }];
}
