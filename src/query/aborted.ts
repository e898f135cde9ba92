// What an aborted execution leaves behind: whether it was stopped, and what became of the data it was changing.

/** Where the execution was when its request was aborted. */
export type AbortedDuring = 'waiting' | 'statement' | 'commit' | 'rollback';

/** Reported to the execution's observer once an execution whose request was aborted is over. */
export interface AbortOutcome {
  /** The execution was stopped before it completed (false: it completed anyway, e.g. its COMMIT was already sent). */
  readonly cancelled: boolean;
  /** A write of the plan is in the database: true, false, or null when it cannot be known (the connection was lost mid-write). */
  readonly dataChanged: boolean | null;
  readonly during: AbortedDuring;
}

/** An execution stopped because its request was aborted (the signal's reason says why); nothing of it was committed unless `outcome` says so. */
export class ExecutionAbortedError extends Error {
  constructor(
    readonly reason: unknown,
    readonly outcome: AbortOutcome,
    options?: { cause?: unknown },
  ) {
    super('the execution was aborted', options);
    this.name = 'ExecutionAbortedError';
  }
}
