// PostgreSQL error translation: SQLSTATE (and connection failures) → typed errors. One table, no SQL text out.
import {
  AppError,
  ConflictError,
  DatabaseUnavailableError,
  ForbiddenError,
  InternalError,
  StatementTimeoutError,
  UnprocessableError,
  ValidationError,
} from '../../../errors/app-error.js';

interface PgLikeError {
  code?: string;
  name?: string;
  message?: string;
  column?: string;
  constraint?: string;
}

type Translate = (e: PgLikeError) => AppError;

const BY_SQLSTATE: Record<string, Translate> = {
  '23505': () => new ConflictError('unique_violation', 'a row with the same key or unique value already exists'),
  '23503': () =>
    new ConflictError('foreign_key_violation', 'the change refers to a missing row, or other rows still refer to this one'),
  '23502': () => new UnprocessableError('not_null_violation', 'a required value is missing'),
  '23514': () => new UnprocessableError('check_violation', 'a value is outside what the database allows'),
  '23P01': () => new ConflictError('exclusion_violation', 'the change conflicts with an existing row'),
  '57014': () => new StatementTimeoutError(),
  '25006': () => new ForbiddenError('read_only_source', 'this data source is read-only'),
  '42501': () => new ForbiddenError('database_permission_denied', 'the gateway’s database account may not do this'),
  '40001': () => new ConflictError('serialization_failure', 'the change conflicted with a concurrent one; retry it'),
  '40P01': () => new ConflictError('deadlock_detected', 'the change conflicted with a concurrent one; retry it'),
  '53300': () => new DatabaseUnavailableError('the database has no free connections; try again later'),
  // undefined_function / datatype_mismatch: a filter (or value) the column's database type has no operator for, e.g. a
  // pattern match on a numeric column the contract shows as a string. The parser refuses the known cases first.
  '42883': () => new ValidationError('type_mismatch', 'a filter or value does not apply to the column’s type in the database'),
  '42804': () => new ValidationError('type_mismatch', 'a filter or value does not apply to the column’s type in the database'),
  // object_not_in_prerequisite_state: for a read, a materialized view that was never refreshed. Not the caller's fault,
  // and it passes once the view is refreshed.
  '55000': (e) =>
    /not been populated/.test(e.message ?? '')
      ? new AppError('view_not_populated', 503, 'the view behind this resource has not been populated yet; try again once it is refreshed', {
          headers: { 'Retry-After': '60' },
        })
      : new AppError('database_not_ready', 503, 'the database object behind this resource is not ready; try again later', {
          headers: { 'Retry-After': '60' },
        }),
};

/** SQLSTATE classes: 08 connection exception, 57P0x shutdown, 53 insufficient resources, 22 data exception. */
function byClass(code: string): Translate | undefined {
  if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') {
    return () => new DatabaseUnavailableError();
  }
  if (code.startsWith('53')) return () => new DatabaseUnavailableError();
  if (code.startsWith('22')) {
    return () => new ValidationError('invalid_value', 'a value does not fit the column’s type or range');
  }
  return undefined;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH']);
const CONNECTION_MESSAGES = [
  'Connection terminated',
  'Client has encountered a connection error',
  'connection is closed',
  'Timeout acquiring a connection',
  'Unable to acquire a connection',
];

export function translatePostgresError(err: unknown): AppError | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as PgLikeError;
  if (e.name === 'KnexTimeoutError' || (e.code && CONNECTION_CODES.has(e.code))) {
    return new DatabaseUnavailableError(undefined, { cause: err });
  }
  if (typeof e.message === 'string' && CONNECTION_MESSAGES.some((m) => e.message!.includes(m))) {
    return new DatabaseUnavailableError(undefined, { cause: err });
  }
  if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) {
    const translate = BY_SQLSTATE[e.code] ?? byClass(e.code);
    if (translate) return withCause(translate(e), err);
    return new InternalError('database error', { cause: err });
  }
  return undefined;
}

function withCause(error: AppError, cause: unknown): AppError {
  Object.defineProperty(error, 'cause', { value: cause, enumerable: false });
  return error;
}
