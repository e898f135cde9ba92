// JSON Schema of the `auth:` section (issuers, their keys, token rules), with its defaults.

/** Signature algorithms a key may be pinned to. `none` is deliberately absent: it can never be configured. */
export const JWS_ALGORITHMS = [
  'HS256',
  'HS384',
  'HS512',
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;

const algorithms = {
  type: 'array',
  minItems: 1,
  uniqueItems: true,
  items: { enum: JWS_ALGORITHMS },
} as const;

const jwks = {
  type: 'object',
  additionalProperties: false,
  properties: {
    url: { type: 'string', minLength: 1 },
    file: { type: 'string', minLength: 1 },
    /** How long fetched keys are used before they are fetched again. */
    cacheTtlSeconds: { type: 'integer', minimum: 10, maximum: 86400, default: 600 },
    /** Cap on fetches (or file re-reads) a token with an unknown `kid` can cause. */
    maxFetchesPerMinute: { type: 'integer', minimum: 1, maximum: 60, default: 6 },
    timeoutMs: { type: 'integer', minimum: 100, maximum: 60000, default: 5000 },
  },
  oneOf: [{ required: ['url'] }, { required: ['file'] }],
} as const;

const key = {
  type: 'object',
  additionalProperties: false,
  required: ['algorithms'],
  properties: {
    /** When set, the key is only tried for tokens whose header carries this `kid`. */
    kid: { type: 'string', minLength: 1 },
    algorithms,
    /** HMAC secret (use a secret reference: `${GATEHOUSE_JWT_SECRET}`); at least 32 bytes (RFC 7518 §3.2). */
    secret: { type: 'string', minLength: 32 },
    /** PEM public key (SPKI), inline or `${file:keys/idp.pem}`. */
    publicKey: { type: 'string', minLength: 1 },
    jwks,
  },
  oneOf: [{ required: ['secret'] }, { required: ['publicKey'] }, { required: ['jwks'] }],
} as const;

const issuer = {
  type: 'object',
  additionalProperties: false,
  required: ['issuer', 'audience', 'keys'],
  properties: {
    issuer: { type: 'string', minLength: 1 },
    audience: {
      oneOf: [
        { type: 'string', minLength: 1 },
        { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
      ],
    },
    keys: { type: 'array', minItems: 1, items: key },
    requiredTyp: { type: 'string', minLength: 1 },
    rolesClaim: { type: 'string', minLength: 1 },
  },
} as const;

export const authJsonSchema = {
  type: 'object',
  additionalProperties: false,
  default: {},
  properties: {
    /**
     * true: no authentication and no policies — every operation the contract declares is open. For local
     * development and tests only: start-up refuses it unless the server listens on loopback.
     */
    disabled: { type: 'boolean', default: false },
    /** false (default): a request without a token is refused with 401. */
    anonymous: { type: 'boolean', default: false },
    issuers: { type: 'array', default: [], items: issuer },
    clockToleranceSeconds: { type: 'integer', minimum: 0, maximum: 300, default: 30 },
    /** Expected `typ` header (e.g. `at+jwt`, RFC 9068); an issuer may override it. */
    requiredTyp: { type: 'string', minLength: 1 },
    /** Dotted claim path holding the roles (e.g. `realm_access.roles`); an issuer may override it. */
    rolesClaim: { type: 'string', minLength: 1, default: 'roles' },
    /** Larger bearer tokens are refused before any parsing. */
    maxTokenBytes: { type: 'integer', minimum: 256, maximum: 65536, default: 8192 },
    cache: {
      type: 'object',
      additionalProperties: false,
      default: {},
      properties: {
        /** Verified tokens kept (LRU); 0 turns the cache off. */
        maxEntries: { type: 'integer', minimum: 0, maximum: 1000000, default: 10000 },
        /** A cached verification is reused at most this long, even when the token lives longer. */
        maxTtlSeconds: { type: 'integer', minimum: 1, maximum: 3600, default: 300 },
      },
    },
  },
} as const;
