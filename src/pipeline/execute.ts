// Stage 10: the plan runs on its source. The request's audit record is handed to the executor explicitly: it gets
// the write-ahead intent of a mutation before the statement runs, and every statement as it runs.
import type { RequestAudit } from '../audit/request-audit.js';
import type { DataSources } from '../db/sources.js';
import { UniqueViolationError } from '../db/unique-violation-error.js';
import { AppError, InternalError, RequestTimeoutError } from '../errors/app-error.js';
import type { Resource } from '../openapi/resource.js';
import { ExecutionAbortedError, type AbortOutcome } from '../query/aborted.js';
import type { ExecutionObserver, Executor, StatementRecord } from '../query/execute.js';
import type { QueryPlan } from '../query/types.js';
import { auditFacts } from './audit-facts.js';
import type { Executed, Planned } from './exchange.js';

/**
 * `signal`: the request's abort (its timeout). An export is not stopped by it: once its first rows are out, the
 * client's going away is what ends it.
 */
export function executeStage(sources: DataSources, executor: Executor): (x: Planned, signal?: AbortSignal) => Promise<Executed> {
  return async (x, signal) => {
    const resource = x.operation.resource;
    const source = sources.get(resource.source);
    if (!source) throw new InternalError(`source ${resource.source} is not configured`);
    const observer = x.audit ? new AuditWitness(x.audit, x, resource, signal) : undefined;
    const planned = x.planned;
    if (planned.kind === 'export') return { ...x, result: { batches: executor.stream(source, planned.plan, observer) } };
    try {
      return { ...x, result: await executor.execute(source, planned.plan, observer, signal) };
    } catch (err) {
      if (err instanceof ExecutionAbortedError) throw abortedAnswer(err);
      throw err instanceof UniqueViolationError ? namedConflict(err, resource, x.decision.visible) : err;
    }
  };
}

/** The problem an aborted execution is answered with: its abort's reason, saying what became of the data. */
function abortedAnswer(err: ExecutionAbortedError): AppError {
  const reason = err.reason;
  if (!(reason instanceof RequestTimeoutError)) return reason instanceof AppError ? reason : new InternalError('the execution was aborted', { cause: err });
  const changed = err.outcome.dataChanged;
  const what =
    changed === false ? 'it was cancelled and nothing was changed' : changed === true ? 'its change was applied' : 'whether its change was applied is not known';
  return new RequestTimeoutError(`the request took longer than the configured request timeout; ${what}`, { cause: err });
}

/** A unique violation the dialect could place, in the caller's property names (only those it may see). */
function namedConflict(err: UniqueViolationError, resource: Resource, visible: ReadonlySet<string>): UniqueViolationError {
  const names = err.columns.map((c) => resource.byColumn.get(c)?.name);
  if (names.length === 0 || names.some((n) => n === undefined || !visible.has(n))) return err;
  const named = new UniqueViolationError(err.columns, `another row already has this ${names.join(', ')}`);
  Object.defineProperty(named, 'cause', { value: err, enumerable: false });
  return named;
}

/** The audit record, seen by the executor as its observer of this one request. */
class AuditWitness implements ExecutionObserver {
  constructor(
    private readonly audit: RequestAudit,
    private readonly x: Planned,
    private readonly resource: Resource,
    private readonly signal: AbortSignal | undefined,
  ) {}

  beforeExecute(plan: QueryPlan, source: string): Promise<void> {
    return this.audit.beforeExecute(auditFacts(this.x), plan, source, this.resource);
  }

  statement(source: string, sql: string, values: readonly unknown[]): StatementRecord {
    return this.audit.statement(source, sql, values);
  }

  /** What the request's abort did to the data, in the event's detail (the statements show which one was cancelled). */
  aborted(outcome: AbortOutcome): void {
    this.audit.note('dataChanged', outcome.dataChanged ?? 'unknown');
    this.audit.note('cancelled', outcome.cancelled);
    if (!outcome.cancelled && this.signal?.reason instanceof RequestTimeoutError) {
      this.audit.note('requestTimeout', outcome.during === 'commit' ? 'passed during the commit: the commit won' : 'passed as the execution finished');
    }
  }
}
