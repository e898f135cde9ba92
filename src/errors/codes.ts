// Every problem `code` the gateway answers with, grouped by the pipeline stage that raises it, with its status and meaning.
//
// Grouped as PostgREST groups its codes: a client can tell from the group which stage refused the request. An error
// class takes only codes registered here with its status (see CodeWithStatus), and `npm run gen:docs` writes README's
// error table from this file, so the code, the documentation and the answers cannot drift apart.

export interface ErrorCodeInfo {
  readonly status: number;
  /** One line: when a caller gets this code, in words a caller understands. */
  readonly meaning: string;
}

export interface ErrorStage {
  /** The stage, as README's table and CONTRIBUTING.md name it. */
  readonly title: string;
  readonly codes: Readonly<Record<string, ErrorCodeInfo>>;
}

export const ERROR_STAGES = {
  address: {
    title: 'client address',
    codes: {
      ip_not_allowed: { status: 403, meaning: 'the caller’s address is unknown, not canonical, or outside the allowlists' },
    },
  },
  rateLimit: {
    title: 'rate limits',
    codes: {
      rate_limited: { status: 429, meaning: 'too many requests from this address or principal; retry after `Retry-After` seconds' },
      rate_limiter_unavailable: { status: 503, meaning: 'the shared rate-limit store (Redis) is unreachable and `rateLimit.failOpen` is false' },
    },
  },
  authentication: {
    title: 'authentication',
    codes: {
      missing_token: { status: 401, meaning: 'no `Authorization: Bearer` token was sent' },
      invalid_authorization_header: { status: 401, meaning: 'the Authorization header is malformed, repeated, or not Bearer' },
      token_too_large: { status: 401, meaning: 'the bearer token is larger than `auth.maxTokenBytes`' },
      invalid_token: { status: 401, meaning: 'the token fails verification: signature, issuer, audience, algorithm or claims' },
      token_expired: { status: 401, meaning: 'the token’s `exp` has passed' },
      unauthenticated: { status: 401, meaning: 'the auditor API needs a bearer token with scope `audit:read`' },
      auth_keys_unavailable: { status: 503, meaning: 'the issuer’s signing keys (JWKS) cannot be fetched right now' },
    },
  },
  routing: {
    title: 'routing',
    codes: {
      not_found: { status: 404, meaning: 'no endpoint at this path' },
      method_not_allowed: { status: 405, meaning: 'the endpoint exists but not with this method (see `Allow`)' },
    },
  },
  authorization: {
    title: 'authorization',
    codes: {
      insufficient_scope: { status: 403, meaning: 'the token lacks a scope the operation requires' },
      policy_denied: { status: 403, meaning: 'no access rule grants this operation to the caller' },
      policy_claim_missing: { status: 403, meaning: 'an access rule needs a claim the token does not carry' },
      policy_claim_invalid: { status: 403, meaning: 'a claim an access rule needs does not have the type the rule compares it with' },
      export_not_allowed: { status: 403, meaning: '`limit=all` streams every row only where an access rule grants export' },
    },
  },
  body: {
    title: 'request body',
    codes: {
      malformed_json: { status: 400, meaning: 'the body is not valid JSON' },
      request_aborted: { status: 400, meaning: 'the body was not completely received' },
      payload_too_large: { status: 413, meaning: 'the body is larger than `server.bodyLimit`' },
      unsupported_media_type: { status: 415, meaning: 'the body is not UTF-8 `application/json`' },
      invalid_content_encoding: { status: 400, meaning: 'the body does not decode as its `Content-Encoding` says' },
    },
  },
  validation: {
    title: 'validation',
    codes: {
      invalid_body: { status: 400, meaning: 'the body does not match the operation’s schema (see `errors`)' },
      empty_body: { status: 400, meaning: 'a create sent an empty array' },
      too_many_rows: { status: 400, meaning: 'a create sent more rows than `limits.maxBulkRows`' },
      invalid_key: { status: 400, meaning: 'a key in the path does not fit the key’s type' },
      unknown_column: { status: 400, meaning: 'the query or body names a property the contract does not expose to the caller' },
      unknown_operator: { status: 400, meaning: 'a filter uses an operator that does not exist' },
      invalid_filter: { status: 400, meaning: 'a filter is malformed, or its operator does not apply to the property' },
      invalid_filter_value: { status: 400, meaning: 'a filter value does not fit the property’s type' },
      invalid_select: { status: 400, meaning: '`select` is malformed' },
      invalid_order: { status: 400, meaning: '`order` is malformed or names a property twice' },
      invalid_pagination: { status: 400, meaning: '`cursor` and `offset` were both given' },
      invalid_cursor: { status: 400, meaning: 'the cursor was not issued by this endpoint for this order' },
      invalid_parameter: { status: 400, meaning: 'a query parameter has a value it does not accept (e.g. `limit=abc`)' },
      duplicate_parameter: { status: 400, meaning: 'a query parameter that is taken once was repeated' },
      unexpected_parameter: { status: 400, meaning: 'a query parameter this endpoint does not take (item endpoints take only `select`; the auditor API names its own)' },
      limit_too_large: { status: 400, meaning: '`limit` is above `limits.maxPageSize`; follow the `Link: rel="next"` header instead' },
      invalid_preference: { status: 400, meaning: 'a `Prefer` value is malformed' },
      column_not_filterable: { status: 403, meaning: 'the property is masked for the caller, so it cannot be filtered or ordered by' },
    },
  },
  idempotency: {
    title: 'idempotency key',
    codes: {
      invalid_idempotency_key: {
        status: 400,
        meaning: 'the `Idempotency-Key` header is empty, longer than 255 characters, repeated, or has characters other than `A-Z a-z 0-9 - _ . : ~ + / =`',
      },
      idempotency_key_mismatch: { status: 422, meaning: 'the `Idempotency-Key` was first used for a different request (method, path, query, `Prefer` or body); nothing was run' },
      idempotency_key_in_use: { status: 409, meaning: 'the first request with this `Idempotency-Key` is not answered yet; nothing was run: retry after `Retry-After`' },
      idempotency_unavailable: { status: 503, meaning: 'the store that keeps `Idempotency-Key` answers cannot be reached; nothing was run: retry after `Retry-After`' },
    },
  },
  plan: {
    title: 'planning a write',
    codes: {
      unfiltered_write: { status: 400, meaning: 'a PATCH or DELETE on a collection came without a filter' },
      missing_key: { status: 400, meaning: 'an upsert row lacks its key' },
      key_mismatch: { status: 400, meaning: 'a key in the body differs from the one in the path' },
      read_only_property: { status: 400, meaning: 'the body sets a property the database assigns' },
      column_not_writable: { status: 403, meaning: 'the caller’s access rule does not let them write this property' },
    },
  },
  execute: {
    title: 'database',
    codes: {
      row_not_found: { status: 404, meaning: 'no row with this key is visible to the caller' },
      max_affected_exceeded: { status: 400, meaning: 'the write would change more rows than allowed; nothing was changed' },
      key_not_unique: { status: 409, meaning: 'the key matched more than one row (the table has no unique key on it); a write changed nothing' },
      row_rule_violation: { status: 403, meaning: 'the written row would leave the rows the caller may write; nothing was changed' },
      invalid_value: { status: 400, meaning: 'a value does not fit the column’s type or range' },
      type_mismatch: { status: 400, meaning: 'a filter or value does not apply to the column’s type in the database' },
      unique_violation: { status: 409, meaning: 'a row with the same key or unique value exists' },
      foreign_key_violation: { status: 409, meaning: 'the change refers to a missing row, or other rows still refer to this one' },
      exclusion_violation: { status: 409, meaning: 'the change conflicts with an existing row' },
      serialization_failure: { status: 409, meaning: 'the change conflicted with a concurrent one; retry it' },
      deadlock_detected: { status: 409, meaning: 'the change deadlocked with a concurrent one; retry it' },
      identity_value: { status: 400, meaning: 'the body gives a value for a key the database generates (a SQL Server identity column)' },
      conflict_retries_exhausted: {
        status: 503,
        meaning: 'the change deadlocked with concurrent ones on every try and was not applied (none of it); retry after `Retry-After`',
      },
      not_null_violation: { status: 422, meaning: 'a value the database requires is missing' },
      check_violation: { status: 422, meaning: 'a value is outside what the database’s constraints allow' },
      read_only_source: { status: 403, meaning: 'the data source is read-only' },
      database_permission_denied: { status: 403, meaning: 'the gateway’s own database account may not do this' },
      database_unavailable: { status: 503, meaning: 'the database cannot be reached or has no free connections; retry after `Retry-After`' },
      view_not_populated: { status: 503, meaning: 'the materialized view behind the resource was never refreshed; retry after `Retry-After`' },
      database_not_ready: { status: 503, meaning: 'the database object behind the resource is not ready; retry after `Retry-After`' },
      statement_timeout: { status: 504, meaning: 'the query ran longer than the source’s `statementTimeoutMs`' },
    },
  },
  respond: {
    title: 'response',
    codes: {
      not_acceptable: { status: 406, meaning: 'the `Accept` header asks for a format the endpoint does not produce' },
    },
  },
  audit: {
    title: 'audit',
    codes: {
      audit_unavailable: { status: 503, meaning: 'the audit log cannot record the request, so it is not answered (fail closed)' },
      audit_unavailable_after_write: {
        status: 503,
        meaning:
          'the change was applied, but the audit log could not record it within `audit.writeHoldMs`: do not repeat it as a new request; retry with the same `Idempotency-Key` to get its answer',
      },
      audit_event_not_found: { status: 404, meaning: 'no audit event has this id' },
    },
  },
  reports: {
    title: 'reports',
    codes: {
      invalid_window: { status: 400, meaning: 'a report’s `since` / `until` is not a duration or ISO date, or `since` is not before `until`' },
      unknown_source: { status: 400, meaning: 'a report names a source the configuration does not define' },
      no_audit_log: { status: 400, meaning: 'the store has no audit log to report on; run `gatehouse migrate` first' },
    },
  },
  general: {
    title: 'any stage',
    codes: {
      request_timeout: {
        status: 504,
        meaning: 'the request took longer than `server.requestTimeoutMs`; its statement was cancelled and its transaction rolled back, and `detail` says whether anything changed',
      },
      internal_error: { status: 500, meaning: 'a fault in the gateway; the log has the details under the request id' },
    },
  },
} as const satisfies Readonly<Record<string, ErrorStage>>;

type Stages = typeof ERROR_STAGES;
type StageName = keyof Stages;

/** Every registered code. */
export type ErrorCode = { [S in StageName]: keyof Stages[S]['codes'] & string }[StageName];

/** The registered codes whose status is `Status`: what an error class of that status may be given. */
export type CodeWithStatus<Status extends number> = {
  [S in StageName]: {
    [C in keyof Stages[S]['codes'] & string]: Stages[S]['codes'][C] extends { readonly status: Status } ? C : never;
  }[keyof Stages[S]['codes'] & string];
}[StageName];

export interface RegisteredCode extends ErrorCodeInfo {
  readonly code: ErrorCode;
  readonly stage: StageName;
}

/** The registry as a list, in stage order. */
export function registeredCodes(): RegisteredCode[] {
  return Object.entries(ERROR_STAGES).flatMap(([stage, { codes }]) =>
    Object.entries(codes).map(([code, info]) => ({ code: code as ErrorCode, stage: stage as StageName, ...(info as ErrorCodeInfo) })),
  );
}
