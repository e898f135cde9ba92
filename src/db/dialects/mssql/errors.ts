// SQL Server error translation: error numbers (and tedious's connection codes) → typed errors. One table, no SQL text
// or database values out: SQL Server's own messages quote the duplicate key, so only the column names are looked up.
import type { Knex } from 'knex';
import {
  type AppError,
  ConflictError,
  DatabaseUnavailableError,
  ForbiddenError,
  InternalError,
  StatementTimeoutError,
  UnprocessableError,
  ValidationError,
} from '../../../errors/app-error.js';
import { UniqueViolationError } from '../../unique-violation-error.js';

interface MssqlLikeError {
  name?: string;
  code?: string;
  number?: number;
  message?: string;
}

type Translate = (e: MssqlLikeError) => AppError;

const invalidValue: Translate = () => new ValidationError('invalid_value', 'a value does not fit the column’s type or range');
const unavailable: Translate = () => new DatabaseUnavailableError();
const denied: Translate = () => new ForbiddenError('database_permission_denied', 'the gateway’s database account may not do this');

const BY_NUMBER: Record<number, Translate> = {
  2627: () => new UniqueViolationError([]),
  2601: () => new UniqueViolationError([]),
  // 547 covers foreign keys (insert, update, delete) and check constraints.
  547: (e) =>
    /\bcheck constraint\b/i.test(e.message ?? '')
      ? new UnprocessableError('check_violation', 'a value is outside what the database allows')
      : new ConflictError('foreign_key_violation', 'the change refers to a missing row, or other rows still refer to this one'),
  515: () => new UnprocessableError('not_null_violation', 'a required value is missing'),
  // String or binary data would be truncated (2628 names the column in SQL Server 2019 and later).
  8152: invalidValue,
  2628: invalidValue,
  // Conversion failures and overflows: a value the column's type cannot hold.
  245: invalidValue,
  8114: invalidValue,
  8115: invalidValue,
  220: invalidValue,
  232: invalidValue,
  241: invalidValue,
  242: invalidValue,
  248: invalidValue,
  293: invalidValue,
  295: invalidValue,
  8169: invalidValue,
  8134: invalidValue,
  // Explicit value for an identity column: SQL Server generates those (PostgreSQL's BY DEFAULT identities accept one).
  544: () => new ValidationError('identity_value', 'the database generates this key; a new row cannot be given one'),
  // A deadlock victim: the executor runs the plan again first (see retryable), as for PostgreSQL's 40P01.
  1205: () => new ConflictError('deadlock_detected', 'the change deadlocked with a concurrent one; retry it'),
  // Lock request time-out (SET LOCK_TIMEOUT) and the query governor: the statement did not finish in time.
  1222: () => new StatementTimeoutError(),
  8645: () => new StatementTimeoutError(),
  229: denied,
  230: denied,
  262: denied,
  297: denied,
  300: denied,
  3906: () => new ForbiddenError('read_only_source', 'this data source is read-only'),
  // Cannot open the database, login failed, server shutting down, out of memory or space, Azure SQL reconfiguring.
  4060: unavailable,
  18456: unavailable,
  6005: unavailable,
  701: unavailable,
  1105: unavailable,
  9002: unavailable,
  10928: unavailable,
  10929: unavailable,
  40197: unavailable,
  40501: unavailable,
  40613: unavailable,
  49918: unavailable,
  49919: unavailable,
  49920: unavailable,
};

/**
 * Babelfish reports PostgreSQL errors it has no SQL Server number for as 33557097 with PostgreSQL's message: a value
 * the column's type cannot read is still the caller's bad value there.
 */
const BABELFISH_GENERIC = 33557097;
const BABELFISH_VALUE_MESSAGES = /invalid input syntax for type|out of range|value too long|invalid input value/i;

/** tedious's connection-level codes: the server is unreachable, refused the login, or the connection broke. */
const CONNECTION_CODES = new Set(['ESOCKET', 'ELOGIN', 'EINSTLOOKUP', 'ECLOSE', 'ECONNRESET', 'ECONNREFUSED', 'EINVALIDSTATE', 'ENOTFOUND']);

export function translateMssqlError(err: unknown): AppError | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as MssqlLikeError;
  if (e.name === 'KnexTimeoutError' || e.name === 'ConnectionError' || (e.code && CONNECTION_CODES.has(e.code))) {
    return withCause(new DatabaseUnavailableError(), err);
  }
  // ETIMEOUT on a request is the statement timeout (requestTimeout); -2 is the number ADO.NET gives a timeout.
  if (e.code === 'ETIMEOUT' || e.number === -2) return withCause(new StatementTimeoutError(), err);
  if (typeof e.number === 'number') {
    const translate = BY_NUMBER[e.number];
    if (translate) return withCause(translate(e), err);
    if (e.number === BABELFISH_GENERIC && BABELFISH_VALUE_MESSAGES.test(e.message ?? '')) return withCause(invalidValue(e), err);
    return new InternalError('database error', { cause: err });
  }
  return undefined;
}

/** Whether the database rolled the whole transaction back: a deadlock victim's plan may run again. */
export function isRetryableMssqlError(err: unknown): boolean {
  return (err as MssqlLikeError | null)?.number === 1205;
}

// SQL Server: "Violation of UNIQUE KEY constraint 'UQ_x'." (2627) / "… with unique index 'IX_x'." (2601);
// Babelfish: PostgreSQL's "duplicate key value violates unique constraint "x"".
const INDEX_NAME = [/constraint '([^']+)'/i, /unique index '([^']+)'/i, /unique constraint "([^"]+)"/i];

/** The error, with the columns of a violated unique index or constraint looked up in sys.indexes. */
export async function translateMssqlErrorWithCatalog(err: unknown, db: Knex): Promise<AppError | undefined> {
  const error = translateMssqlError(err);
  if (!(error instanceof UniqueViolationError)) return error;
  const message = (err as MssqlLikeError).message ?? '';
  const name = INDEX_NAME.map((re) => re.exec(message)?.[1]).find((n) => n !== undefined);
  if (name === undefined) return error;
  try {
    const rows = (await db.raw(
      `select isc.COLUMN_NAME as name
         from sys.indexes i
         join sys.index_columns ic on ic.object_id = i.object_id and ic.index_id = i.index_id and ic.is_included_column = 0
         join INFORMATION_SCHEMA.COLUMNS isc
           on isc.TABLE_SCHEMA = OBJECT_SCHEMA_NAME(i.object_id) and isc.TABLE_NAME = OBJECT_NAME(i.object_id)
          and isc.ORDINAL_POSITION = ic.column_id
        where i.name = ? and i.is_unique = 1
        order by ic.key_ordinal`,
      [name],
    )) as Array<{ name: string }>;
    return withCause(new UniqueViolationError(rows.map((r) => r.name)), err);
  } catch {
    // The lookup is a courtesy: without it the caller still gets the conflict.
    return error;
  }
}

function withCause(error: AppError, cause: unknown): AppError {
  Object.defineProperty(error, 'cause', { value: cause, enumerable: false });
  return error;
}
