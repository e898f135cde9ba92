// The served contract's account of Idempotency-Key: the header on every write operation, the answers it adds
// (400 invalid_idempotency_key, 409 idempotency_key_in_use, 422 idempotency_key_mismatch, 503) and the
// Idempotency-Replayed header of a replayed answer. Added to the published document only when keys are honoured (the
// gateway has a store); the contract file itself stays as the site wrote it.

const WRITE_METHODS = ['post', 'put', 'patch', 'delete'] as const;

export const IDEMPOTENCY_KEY_PARAMETER = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'Makes the write safe to retry (IETF httpapi idempotency-key-header draft): a unique key per change, e.g. a UUID, ' +
    'sent again unchanged with every retry of that change. The first answer is kept for `idempotency.ttl` (24 h by ' +
    'default) and replayed, with `Idempotency-Replayed: true`, to a retry by the same caller with the same key, method, ' +
    'path, query, `Prefer` and body, without running it again. The same key with another request: 422 ' +
    '`idempotency_key_mismatch`; while the first is still running: 409 `idempotency_key_in_use`. 1–255 characters ' +
    'of `A-Z a-z 0-9 - _ . : ~ + / =`, optionally as a quoted string.',
  schema: { type: 'string', minLength: 1, maxLength: 257, pattern: '^"?[A-Za-z0-9._:~+/=-]{1,255}"?$' },
} as const;

const REPLAYED_HEADER = {
  description: 'Present (`true`) when this is the first answer to an earlier request with the same Idempotency-Key, replayed.',
  schema: { type: 'string', enum: ['true'] },
} as const;

const ADDED_RESPONSES: Readonly<Record<string, string>> = {
  '400': 'Bad request; `invalid_idempotency_key`: the Idempotency-Key header is malformed.',
  '409': '`idempotency_key_in_use`: the first request with this Idempotency-Key is not answered yet; retry after `Retry-After`.',
  '422': '`idempotency_key_mismatch`: this Idempotency-Key was used for a different request.',
  '503':
    'Unavailable; `idempotency_unavailable`: the key cannot be checked now (nothing was run); ' +
    '`audit_unavailable_after_write`: the change was applied but not yet recorded: retry with the same Idempotency-Key.',
};

/** A copy of the document whose write operations document Idempotency-Key. */
export function withIdempotencyKey(document: Record<string, unknown>): Record<string, unknown> {
  const paths = document.paths as Record<string, Record<string, unknown>> | undefined;
  if (!paths) return document;
  const problem = hasProblemResponse(document);
  const out: Record<string, unknown> = {};
  for (const [path, item] of Object.entries(paths)) {
    const copy: Record<string, unknown> = { ...item };
    for (const method of WRITE_METHODS) {
      const op = item[method] as Record<string, unknown> | undefined;
      if (op) copy[method] = withKey(op, problem);
    }
    out[path] = copy;
  }
  return { ...document, paths: out };
}

function withKey(op: Record<string, unknown>, problem: boolean): Record<string, unknown> {
  const parameters = [...((op.parameters as unknown[] | undefined) ?? []), IDEMPOTENCY_KEY_PARAMETER];
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries((op.responses as Record<string, unknown> | undefined) ?? {})) {
    responses[status] = /^2/.test(status) && isInline(response) ? withReplayedHeader(response) : response;
  }
  for (const [status, description] of Object.entries(ADDED_RESPONSES)) {
    responses[status] ??= problem
      ? { $ref: '#/components/responses/Problem' }
      : { description, content: { 'application/problem+json': { schema: { type: 'object' } } } };
  }
  return { ...op, parameters, responses };
}

function withReplayedHeader(response: Record<string, unknown>): Record<string, unknown> {
  const headers = (response.headers as Record<string, unknown> | undefined) ?? {};
  return { ...response, headers: { ...headers, 'Idempotency-Replayed': REPLAYED_HEADER } };
}

function isInline(response: unknown): response is Record<string, unknown> {
  return typeof response === 'object' && response !== null && !('$ref' in response);
}

function hasProblemResponse(document: Record<string, unknown>): boolean {
  const components = document.components as { responses?: Record<string, unknown> } | undefined;
  return components?.responses?.Problem !== undefined;
}
