// AppError and its subclasses: every error a request can end with, each with a stable code and status.
import type { CodeWithStatus, ErrorCode } from './codes.js';

export interface ProblemExtras {
  /** A short hint for the caller (e.g. the closest column name). Never database text. */
  readonly hint?: string;
  /** Field-level details for validation problems (JSON pointers into the request). */
  readonly errors?: ReadonlyArray<{ readonly pointer: string; readonly detail: string }>;
  readonly [key: string]: unknown;
}

export interface AppErrorOptions {
  readonly expose?: boolean;
  readonly extras?: ProblemExtras;
  readonly hint?: string | undefined;
  readonly errors?: ProblemExtras['errors'];
  readonly headers?: Record<string, string>;
  readonly cause?: unknown;
  /** The rule or list that denied the request (audit log and request log; never shown to the caller). */
  readonly deniedBy?: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Whether `message` may be shown to the caller (false: a generic title is shown instead). */
  readonly expose: boolean;
  readonly extras: ProblemExtras;
  readonly headers: Readonly<Record<string, string>>;
  deniedBy: string | undefined;

  constructor(
    code: ErrorCode,
    status: number,
    message: string,
    options: AppErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.expose = options.expose ?? true;
    this.extras = { ...options.extras, hint: options.hint, errors: options.errors };
    this.headers = options.headers ?? {};
    this.deniedBy = options.deniedBy;
  }
}

type Opts = AppErrorOptions;

export class ValidationError extends AppError {
  constructor(code: CodeWithStatus<400>, message: string, options?: Opts) {
    super(code, 400, message, options);
  }
}

export class UnauthenticatedError extends AppError {
  constructor(code: CodeWithStatus<401>, message: string, wwwAuthenticate: string, options?: Opts) {
    super(code, 401, message, { ...options, headers: { ...options?.headers, 'WWW-Authenticate': wwwAuthenticate } });
  }
}

/** 403, not 401: the caller is known (or anonymous by design) and the operation is not allowed. */
export class ForbiddenError extends AppError {
  constructor(code: CodeWithStatus<403>, message: string, options?: Opts) {
    super(code, 403, message, options);
  }
}

export class IpNotAllowedError extends AppError {
  constructor(message = 'requests from this address are not allowed', options?: Opts) {
    super('ip_not_allowed', 403, message, options);
  }
}

export class NotFoundError extends AppError {
  constructor(code: CodeWithStatus<404>, message: string, options?: Opts) {
    super(code, 404, message, options);
  }
}

export class MethodNotAllowedError extends AppError {
  constructor(allowed: readonly string[], options?: Opts) {
    super('method_not_allowed', 405, 'this method is not allowed on this resource', {
      ...options,
      headers: { ...options?.headers, Allow: allowed.join(', ') },
    });
  }
}

export class NotAcceptableError extends AppError {
  constructor(message: string, options?: Opts) {
    super('not_acceptable', 406, message, options);
  }
}

export class ConflictError extends AppError {
  constructor(code: CodeWithStatus<409>, message: string, options?: Opts) {
    super(code, 409, message, options);
  }
}

/**
 * A key or unique value is taken. One answer wherever it comes from (the database, or a row rule that hides the
 * row holding it), so the answer never tells whether that row is one the caller may see.
 */
export function uniqueViolation(options?: Opts): ConflictError {
  return new ConflictError('unique_violation', 'a row with the same key or unique value already exists', options);
}

export class PayloadTooLargeError extends AppError {
  constructor(limit: string, options?: Opts) {
    super('payload_too_large', 413, `the request body exceeds the limit of ${limit}`, options);
  }
}

export class UnsupportedMediaTypeError extends AppError {
  constructor(message: string, options?: Opts) {
    super('unsupported_media_type', 415, message, options);
  }
}

/** 422: well-formed, but the database's constraints refuse it (not null, check). */
export class UnprocessableError extends AppError {
  constructor(code: CodeWithStatus<422>, message: string, options?: Opts) {
    super(code, 422, message, options);
  }
}

export class RateLimitedError extends AppError {
  constructor(retryAfterSeconds: number, options?: Opts) {
    super('rate_limited', 429, 'too many requests', {
      ...options,
      headers: { ...options?.headers, 'Retry-After': String(Math.max(1, Math.ceil(retryAfterSeconds))) },
    });
  }
}

/** 503: the shared rate-limit store is unreachable and `rateLimit.failOpen` is false. */
export class RateLimiterUnavailableError extends AppError {
  constructor(message = 'the rate limiter is unavailable; try again later', options?: Opts) {
    super('rate_limiter_unavailable', 503, message, { ...options, headers: { 'Retry-After': '5', ...options?.headers } });
  }
}

export class InternalError extends AppError {
  constructor(message: string, options?: Opts) {
    super('internal_error', 500, message, { expose: false, ...options });
  }
}

export class DatabaseUnavailableError extends AppError {
  constructor(message = 'the database is unavailable; try again later', options?: Opts) {
    super('database_unavailable', 503, message, { ...options, headers: { 'Retry-After': '5', ...options?.headers } });
  }
}

export class StatementTimeoutError extends AppError {
  constructor(message = 'the query took longer than the configured statement timeout', options?: Opts) {
    super('statement_timeout', 504, message, options);
  }
}

export class RequestTimeoutError extends AppError {
  /** True when the request's statements may still be running (their cancel went unanswered): its outcome comes later. */
  readonly stillRunning: boolean;
  constructor(message = 'the request took longer than the configured request timeout', options?: Opts & { stillRunning?: boolean }) {
    super('request_timeout', 504, message, options);
    this.stillRunning = options?.stillRunning ?? false;
  }
}

/** Start-up only: the configuration is invalid. Lists every problem. */
export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/** Start-up only: the OpenAPI document or its bindings are invalid. Lists every problem. */
export class SpecError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`invalid OpenAPI document:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'SpecError';
    this.problems = problems;
  }
}

/** Start-up only: the machine refuses what a valid configuration asks for (a port in use, a database that does not answer). */
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartupError';
  }
}
