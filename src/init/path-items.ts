// One resource → its collection and item path items: bindings, operations, scopes, responses and links.
import type { JsonSchema } from '../openapi/resource.js';
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

// Short on purpose: a 1,000-table document repeats these thousands of times; the API description explains the rest.
const FILTERS = 'Filter with `?property=op.value` (see the API description).';

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
        ...problems(),
      },
    },
  };
  if (!plan.writable) return item;
  item.post = {
    operationId: plan.operationIds.create,
    tags: [plan.tag],
    summary: `Create one or more ${plan.noun}s`,
    description: 'One object or an array of them (all or nothing); `Prefer: resolution=merge-duplicates` upserts on the key.',
    security: write(plan),
    parameters: params('select', 'Prefer'),
    requestBody: { required: true, content: json({ oneOf: [entity, { ...many, minItems: 1 }] }) },
    responses: {
      '201': {
        description: 'Created; the body mirrors the request (one object or an array), unless `Prefer: return=minimal`.',
        content: json({ oneOf: [entity, many] }),
      },
      ...problems(),
    },
  };
  item.patch = {
    operationId: plan.operationIds.updateMany,
    tags: [plan.tag],
    summary: `Update every ${plan.noun} matching the filters`,
    description: `${FILTERS} A filter is required; only the properties sent are changed.`,
    security: write(plan),
    parameters: params('select', 'Prefer'),
    requestBody: { required: true, content: json(entity) },
    responses: {
      '200': { description: 'The updated rows (`Prefer: return=representation`).', content: json(many) },
      '204': { description: 'Updated; no body (`Prefer: return=minimal`).' },
      ...problems(),
    },
  };
  item.delete = {
    operationId: plan.operationIds.deleteMany,
    tags: [plan.tag],
    summary: `Delete every ${plan.noun} matching the filters`,
    description: `${FILTERS} A filter is required.`,
    security: write(plan),
    parameters: params('select', 'Prefer'),
    responses: {
      '200': { description: 'The deleted rows (`Prefer: return=representation`).', content: json(many) },
      '204': { description: 'Deleted; no body (`Prefer: return=minimal`).' },
      ...problems(),
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
        ...problems(),
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
    responses: { ...writeResponses(`The updated ${plan.noun}`, 'Updated'), ...problems() },
  };
  item.put = {
    operationId: plan.operationIds.replace,
    tags: [plan.tag],
    summary: `Replace one ${plan.noun}`,
    description: 'Writable properties left out of the body take their documented default, else null when nullable, else the database’s own value.',
    security: write(plan),
    parameters: params('select', 'Prefer'),
    requestBody: { required: true, content: json(entity) },
    responses: { ...writeResponses(`The ${plan.noun} as stored`, 'Replaced'), ...problems() },
  };
  item.delete = {
    operationId: plan.operationIds.delete,
    tags: [plan.tag],
    summary: `Delete one ${plan.noun}`,
    security: write(plan),
    parameters: params('select', 'Prefer'),
    responses: { ...writeResponses(`The deleted ${plan.noun}`, 'Deleted'), ...problems() },
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

/**
 * Every failure is an RFC 9457 problem; one `4XX` range (plus `default`) says so without listing the same reference
 * eight times per operation, which would make up nearly half of a large document. The API description lists the codes.
 */
function problems(): Record<string, unknown> {
  return {
    '4XX': { $ref: `#/components/responses/${PROBLEM_RESPONSE}` },
    default: { $ref: `#/components/responses/${PROBLEM_RESPONSE}` },
  };
}

function read(plan: ResourcePlan): Array<Record<string, string[]>> {
  return [{ bearer: [`${plan.resource}:read`] }];
}

function write(plan: ResourcePlan): Array<Record<string, string[]>> {
  return [{ bearer: [`${plan.resource}:write`] }];
}
