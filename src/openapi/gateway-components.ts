// The components every served document shares for the gateway's own answers: its problem details, and the refusals
// any operation can meet (429 with its rate-limit headers, 503, 504).

export const GATEWAY_PROBLEM = 'GatehouseProblem';

export const GATEWAY_RESPONSES = {
  problem: 'GatehouseProblem',
  rateLimited: 'GatehouseTooManyRequests',
  unavailable: 'GatehouseUnavailable',
  timedOut: 'GatehouseTimedOut',
} as const;

const problemSchema = {
  type: 'object',
  description: 'RFC 9457 problem details, as the gateway writes them.',
  required: ['type', 'title', 'status', 'detail', 'code', 'instance', 'requestId'],
  properties: {
    type: { type: 'string', format: 'uri-reference', description: '`urn:gatehouse:problem:<code>`' },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string', description: 'This occurrence, in words; never database error text.' },
    code: { type: 'string', description: 'Stable machine-readable code, e.g. `rate_limited`.' },
    instance: { type: 'string', format: 'uri-reference', description: 'The request path, percent-encoded.' },
    requestId: { type: 'string', description: 'Correlates with the gateway logs and the audit log.' },
  },
};

const problemContent = { 'application/problem+json': { schema: { $ref: `#/components/schemas/${GATEWAY_PROBLEM}` } } };

/** The IETF draft `RateLimit` / `RateLimit-Policy` fields, sent with every answer a limit counted. */
export const RATE_LIMIT_HEADERS = {
  RateLimit: {
    description: 'The remaining budget of each limit this request counted against: `"<policy>"; r=<remaining>; t=<seconds to reset>`.',
    schema: { type: 'string' },
  },
  'RateLimit-Policy': {
    description: 'Each limit: `"<policy>"; q=<quota>; w=<window seconds>; pk=<partition key>`.',
    schema: { type: 'string' },
  },
};

export const GATEWAY_RESPONSE_OBJECTS: Record<string, Record<string, unknown>> = {
  [GATEWAY_RESPONSES.problem]: { description: 'RFC 9457 problem details.', content: problemContent },
  [GATEWAY_RESPONSES.rateLimited]: {
    description: 'Too many requests: the caller’s budget for this kind of request is spent until the window resets.',
    headers: {
      'Retry-After': { description: 'Seconds until the budget resets.', required: true, schema: { type: 'integer', minimum: 0 } },
      RateLimit: { ...RATE_LIMIT_HEADERS.RateLimit, required: true },
      'RateLimit-Policy': { ...RATE_LIMIT_HEADERS['RateLimit-Policy'], required: true },
    },
    content: problemContent,
  },
  [GATEWAY_RESPONSES.unavailable]: {
    description: 'Unavailable: a database, the audit store or the rate limiter’s store does not answer (the gateway fails closed); retry later.',
    content: problemContent,
  },
  [GATEWAY_RESPONSES.timedOut]: { description: 'The request ran out of time (`server.requestTimeoutMs`); its statement was cancelled.', content: problemContent },
};

/** Adds the shared components (never replacing a document's own of the same name). */
export function addGatewayComponents(components: Record<string, Record<string, unknown>>): void {
  const schemas = (components.schemas ??= {});
  schemas[GATEWAY_PROBLEM] ??= problemSchema;
  const responses = (components.responses ??= {});
  for (const [name, response] of Object.entries(GATEWAY_RESPONSE_OBJECTS)) responses[name] ??= response;
}
