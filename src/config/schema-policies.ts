// JSON Schema of the `policies` section: access rules per scope / role and resource (checked against the spec at start-up).

const filterOps = {
  type: 'object',
  minProperties: 1,
  maxProperties: 1,
  propertyNames: { enum: ['eq', 'neq', 'lt', 'lte', 'gt', 'gte', 'in', 'is', 'like', 'ilike'] },
} as const;

export const policiesJsonSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    /** Key for `hash` masking (HMAC-SHA256); a secret reference in production. */
    maskKey: { type: 'string', minLength: 16 },
    rules: {
      type: 'array',
      default: [],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'resource'],
        properties: {
          name: { type: 'string', minLength: 1 },
          description: { type: 'string' },
          scopes: { type: 'array', items: { type: 'string', minLength: 1 } },
          roles: { type: 'array', items: { type: 'string', minLength: 1 } },
          clients: { type: 'array', items: { type: 'string', minLength: 1 } },
          resource: { type: 'string', minLength: 1 },
          operations: {
            type: 'array',
            minItems: 1,
            items: {
              enum: ['read', 'write', 'list', 'get', 'create', 'update', 'replace', 'delete', 'updateMany', 'deleteMany', 'export'],
            },
          },
          columns: {
            type: 'object',
            additionalProperties: false,
            properties: {
              read: { type: 'array', items: { type: 'string' } },
              write: { type: 'array', items: { type: 'string' } },
            },
          },
          rows: { type: 'object', additionalProperties: filterOps },
          force: { type: 'object' },
          mask: { type: 'object', additionalProperties: { enum: ['full', 'partial', 'hash'] } },
          maxAffected: { type: 'integer', minimum: 1 },
        },
      },
    },
  },
} as const;
