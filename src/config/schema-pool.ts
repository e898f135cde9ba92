// JSON Schema of a connection pool block, shared by data sources and the gateway's own store.

export function poolJsonSchema(defaults: { readonly max: number; readonly maxLimit: number; readonly acquireTimeoutMs: number }) {
  return {
    type: 'object',
    additionalProperties: false,
    default: {},
    properties: {
      min: { type: 'integer', minimum: 0, default: 0 },
      max: { type: 'integer', minimum: 1, maximum: defaults.maxLimit, default: defaults.max },
      acquireTimeoutMs: { type: 'integer', minimum: 100, default: defaults.acquireTimeoutMs },
    },
  } as const;
}
