// JSON Schema of the `network`, `rateLimit` and `redis` sections; CIDRs and zone references are checked in net/check-network-config.ts.

/** A CIDR (`10.0.0.0/8`, `2001:db8::/32`), a bare address, or a zone name. */
const addressList = { type: 'array', items: { type: 'string', minLength: 1, maxLength: 64 } } as const;

const ZONE_NAME = '^[A-Za-z][A-Za-z0-9_.-]*$';

const window = (limit: number, windowMs: number) =>
  ({
    type: 'object',
    additionalProperties: false,
    default: {},
    properties: {
      limit: { type: 'integer', minimum: 1, default: limit },
      windowMs: { type: 'integer', minimum: 1000, maximum: 86_400_000, default: windowMs },
    },
  }) as const;

export const networkJsonSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    // Empty by default: X-Forwarded-For is ignored unless the direct peer is a listed proxy.
    trustedProxies: { ...addressList, default: [] },
    // Loopback only by default: a gateway that answers anyone must say so explicitly.
    allow: { ...addressList, default: ['127.0.0.0/8', '::1/128'] },
    zones: {
      type: 'object',
      default: {},
      propertyNames: { pattern: ZONE_NAME },
      additionalProperties: addressList,
    },
    clients: { type: 'object', default: {}, additionalProperties: addressList },
    scopes: { type: 'object', default: {}, additionalProperties: addressList },
  },
} as const;

export const rateLimitJsonSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    enabled: { type: 'boolean', default: true },
    /** Per client address, before authentication: protects token verification. */
    coarse: window(1200, 60_000),
    /** Per principal and operation class, after authorization. */
    principal: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        read: window(600, 60_000),
        write: window(120, 60_000),
        audit: window(60, 60_000),
      },
    },
    principalKey: { enum: ['subject', 'clientId'], default: 'subject' },
    ipv6Subnet: { type: 'integer', minimum: 1, maximum: 128, default: 56 },
    // Deny by default: when the shared store is unreachable, answer 503 rather than run unlimited.
    failOpen: { type: 'boolean', default: false },
  },
} as const;

export const redisJsonSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    url: { type: 'string', pattern: '^rediss?://' },
    connectTimeoutMs: { type: 'integer', minimum: 50, maximum: 60_000, default: 1000 },
    commandTimeoutMs: { type: 'integer', minimum: 10, maximum: 60_000, default: 500 },
    keyPrefix: { type: 'string', default: 'gatehouse:rl:' },
  },
} as const;
