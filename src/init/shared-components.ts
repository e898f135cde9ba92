// The parts every generated document shares: query parameters, the problem response, the bearer scheme.
import type { JsonSchema } from '../openapi/resource.js';

export const PROBLEM_SCHEMA = 'Problem';
export const PROBLEM_RESPONSE = 'Problem';

export function sharedComponents(): {
  securitySchemes: Record<string, unknown>;
  parameters: Record<string, unknown>;
  responses: Record<string, unknown>;
  problemSchema: JsonSchema;
} {
  return {
    securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    parameters: {
      select: {
        name: 'select',
        in: 'query',
        required: false,
        description: 'Comma-separated properties to return; every property when absent.',
        schema: { type: 'string' },
      },
      order: {
        name: 'order',
        in: 'query',
        required: false,
        description: 'Comma-separated sort terms `property[.asc|.desc][.nullsfirst|.nullslast]`.',
        schema: { type: 'string' },
      },
      limit: {
        name: 'limit',
        in: 'query',
        required: false,
        description:
          "Most rows to return (default and maximum are the gateway's configured page sizes); a larger value is refused with 400 `limit_too_large`, so follow the `Link` header's `rel=\"next\"` for more.",
        schema: { type: 'integer', minimum: 1 },
      },
      offset: {
        name: 'offset',
        in: 'query',
        required: false,
        description: 'Rows to skip. For deep pages prefer `cursor`, which stays stable while rows are inserted.',
        schema: { type: 'integer', minimum: 0 },
      },
      cursor: {
        name: 'cursor',
        in: 'query',
        required: false,
        description: 'Opaque position handed out with the previous page (keyset pagination); pass it back unchanged.',
        schema: { type: 'string' },
      },
      Prefer: {
        name: 'Prefer',
        in: 'header',
        required: false,
        description: [
          'Comma-separated preferences (RFC 7240):',
          '- `return=representation` returns the affected rows; `return=minimal` returns no body.',
          '- `count=exact` also counts every matching row (list operations).',
          '- `resolution=merge-duplicates` / `resolution=ignore-duplicates` turns a create into an upsert on the key.',
          '- `max-affected=N` fails an update or delete, changing nothing, if it would affect more than N rows.',
          '',
        ].join('\n'),
        schema: { type: 'string' },
      },
    },
    responses: {
      [PROBLEM_RESPONSE]: {
        description: 'The request failed; see the problem details.',
        content: { 'application/problem+json': { schema: { $ref: `#/components/schemas/${PROBLEM_SCHEMA}` } } },
      },
    },
    problemSchema: {
      type: 'object',
      description: 'RFC 9457 problem details.',
      required: ['title', 'status', 'code'],
      properties: {
        type: { type: 'string', format: 'uri-reference', description: 'Identifies the problem type (`about:blank` when absent).' },
        title: { type: 'string', description: 'Short summary of the problem type.' },
        status: { type: 'integer', minimum: 400, maximum: 599 },
        detail: { type: 'string', description: 'This occurrence, in words; never database error text.' },
        code: { type: 'string', description: 'Stable machine-readable code, e.g. `rate_limited`.' },
        instance: { type: 'string', format: 'uri-reference', description: 'The request path.' },
        requestId: { type: 'string', description: 'Correlates with the gateway logs.' },
        hint: { type: 'string', description: 'A short hint, e.g. the closest property name.' },
        errors: {
          type: 'array',
          description: 'Field-level details for validation problems.',
          items: {
            type: 'object',
            required: ['pointer', 'detail'],
            properties: {
              pointer: { type: 'string', description: 'JSON pointer into the request.' },
              detail: { type: 'string' },
            },
          },
        },
      },
    },
  };
}
