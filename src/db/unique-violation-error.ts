// A unique key or index refused a write: 409, and which database columns it covers when the dialect could tell.
import { ConflictError } from '../errors/app-error.js';

export class UniqueViolationError extends ConflictError {
  /** Database column names of the violated key (empty when unknown); the caller maps them to property names. */
  readonly columns: readonly string[];

  constructor(columns: readonly string[], hint?: string) {
    super('unique_violation', 'a row with the same key or unique value already exists', { hint });
    this.columns = columns;
  }
}
