// Stage 12 and the write: one audit event per request (in strict mode durable before the answer leaves), the answer
// of a keyed write recorded for its retries, one request log line, then the reply in a single write. A record that
// cannot be stored turns the answer into 503 (fail closed) — except for a change that committed: that answer is held
// while the store recovers (audit.writeHoldMs), then, if it is still down, the caller is told the change was applied.
import type { ServerResponse } from 'node:http';
import { AuditUnavailableAfterWriteError, AuditUnavailableError } from '../audit/audit-unavailable-error.js';
import type { Auditor } from '../audit/auditor.js';
import type { AuditContent } from '../audit/event.js';
import { storeWithin } from '../audit/hold-for-store.js';
import type { IdempotencyStore } from '../idempotency/idempotency-store.js';
import type { Settlement } from '../audit/request-audit.js';
import type { Logger } from '../observability/logger.js';
import { requestServed, type Observe } from '../observability/observation.js';
import { repeatedFailureLog, type RepeatedFailureLog } from '../observability/repeated-failure-log.js';
import { createRequestLog, type RequestLogEntry } from '../observability/request-log.js';
import { SECURITY_HEADERS } from '../http/security-headers.js';
import { auditFacts } from './audit-facts.js';
import { executed, operationOf, type HeaderList, type Reached } from './exchange.js';
import { settleKey } from './idempotency.js';
import { problemReply, type BodyStream, type HeaderValue, type Reply } from './reply.js';

export interface FinishDeps {
  readonly auditor: Auditor | undefined;
  readonly logger: Logger;
  readonly logRequests: boolean;
  /** Metrics: each answered request as one observation; absent, nothing is built for it. */
  readonly observe?: Observe;
  /** Where keyed writes' answers are recorded; absent: no store, keys are ignored. */
  readonly idempotency?: IdempotencyStore | undefined;
  /** Strict audit: how long a committed write's answer waits for a failed store before 503 audit_unavailable_after_write. */
  readonly writeHoldMs?: number;
}

export type Finish = (reached: Reached, reply: Reply, res: ServerResponse) => Promise<void>;

export function finishStage(deps: FinishDeps): Finish {
  const { auditor, logger, observe } = deps;
  const requestLog = deps.logRequests ? createRequestLog(logger) : undefined;
  const failures = repeatedFailureLog(logger);
  const strict = auditor?.config.mode === 'strict';
  const writeHoldMs = deps.writeHoldMs ?? 0;
  const finishAnswer: Finish = async (reached, reply, res) => {
    let answer = reply;
    let replyHeaders = reached.replyHeaders;
    const audit = reached.audit;
    const clientWentAway = res.destroyed;
    // A keyed write's own answer (not what the audit makes of it): recorded alongside its event, before it leaves.
    const keySettled = settleKey(deps.idempotency, reached, reply);
    if (audit && auditor) {
      const content = audit.build(auditFacts(reached), settlementOf(reply, clientWentAway));
      const stored = auditor.writer.append(content);
      if (!strict || clientWentAway) {
        stored.catch((err: unknown) => auditor.sink.unstored(content, describe(err)));
      } else {
        try {
          await stored;
        } catch (err) {
          // A change that committed: wait for the store rather than call it a failure.
          const committed = audit.hasIntents && executed(reached);
          if (!committed || !(await storeWithin(auditor, content, writeHoldMs))) {
            answer = failClosed(auditor, audit.hasIntents, content, err, reached, committed);
            // Nothing of the refused answer goes out: not its headers either.
            replyHeaders = [['X-Request-Id', reached.id], ...SECURITY_HEADERS.map(([name, value]): [string, string] => [name, value])];
          }
        }
      }
      audit.finish();
    }
    await keySettled;
    if (answer.error && answer.status >= 500) logFailure(failures, reached, answer);
    requestLog?.(logEntry(reached, answer, clientWentAway || res.destroyed));
    if (observe) observe(requestServed(reached, answer, clientWentAway || res.destroyed));
    send(res, replyHeaders, answer);
  };

  /**
   * An export: in strict mode its intent is durable before the first byte leaves (a store that cannot take it gets
   * the usual 503, and no statement runs); the rows are written with backpressure as they are read; the event, with
   * every statement and the rows sent, is stored once the stream ends, whether it completed, failed or was cut off.
   */
  const finishStream = async (reached: Reached, reply: Reply, stream: BodyStream, res: ServerResponse): Promise<void> => {
    const audit = reached.audit;
    if (audit && auditor && strict) {
      try {
        await audit.intent(auditFacts(reached), { action: 'stream' });
      } catch (err) {
        await stream.chunks[Symbol.asyncIterator]().return?.(undefined);
        return finishAnswer(reached, problemReply(new AuditUnavailableError(describe(err)), reached.path, reached.id), res);
      }
    }
    sendHead(res, reached.replyHeaders, reply);
    let failure: Reply | undefined;
    let cutOff = false;
    let sent = 0;
    try {
      for await (const chunk of stream.chunks) {
        if (res.destroyed) {
          cutOff = true;
          break;
        }
        sent += Buffer.byteLength(chunk);
        if (!res.write(chunk)) await drained(res);
      }
      if (res.destroyed) cutOff = true;
      else res.end();
    } catch (err) {
      // The headers are out: all that can be done is to cut the body, so the client sees it incomplete.
      failure = problemReply(err, reached.path, reached.id);
      res.destroy();
      logFailure(failures, reached, failure);
    }
    const done: Reply = { ...reply, status: failure?.status ?? reply.status, rows: stream.rows(), error: failure?.error };
    if (audit && auditor) {
      const content = audit.build(auditFacts(reached), { ...settlementOf(done, cutOff), bytesOut: sent });
      auditor.writer.append(content).catch((err: unknown) => {
        auditor.sink.unstored(content, describe(err));
        // Its intent is stored: store what became of the export once the store is back.
        if (audit.hasIntents) auditor.writer.defer(content);
      });
      audit.finish();
    }
    requestLog?.(logEntry(reached, done, cutOff));
    if (observe) observe(requestServed(reached, done, cutOff));
  };

  return (reached, reply, res) => (reply.stream ? finishStream(reached, reply, reply.stream, res) : finishAnswer(reached, reply, res));
}

/** Status line and headers of a streamed body (no Content-Length: it goes out chunked). */
function sendHead(res: ServerResponse, replyHeaders: HeaderList, reply: Reply): void {
  res.writeHead(reply.status, mergeHeaders(replyHeaders, reply) as Record<string, string | number | string[]>);
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Writes a reply: the status line, headers and body leave in one write. */
export function send(res: ServerResponse, replyHeaders: HeaderList, reply: Reply): void {
  if (res.headersSent || res.destroyed) return;
  const headers = mergeHeaders(replyHeaders, reply);
  if (reply.body !== undefined) headers['Content-Length'] = Buffer.byteLength(reply.body);
  res.writeHead(reply.status, headers as Record<string, string | number | string[]>);
  res.end(reply.body);
}

function mergeHeaders(replyHeaders: HeaderList, reply: Reply): Record<string, HeaderValue> {
  const headers: Record<string, HeaderValue> = {};
  for (const [name, value] of replyHeaders) {
    const existing = headers[name];
    headers[name] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [String(existing)]), value];
  }
  for (const name in reply.headers) headers[name] = reply.headers[name]!;
  return headers;
}

function settlementOf(reply: Reply, clientWentAway: boolean): Settlement {
  return {
    status: clientWentAway ? 499 : reply.status,
    clientWentAway,
    errorCode: reply.error?.code,
    deniedBy: reply.error?.deniedBy,
    rows: reply.rows,
    bytesOut: reply.body === undefined ? 0 : Buffer.byteLength(reply.body),
  };
}

function failClosed(auditor: Auditor, hasIntents: boolean, content: AuditContent, err: unknown, reached: Reached, committed: boolean): Reply {
  const reason = describe(err);
  auditor.sink.unstored(content, reason);
  const error = committed ? new AuditUnavailableAfterWriteError(reason) : new AuditUnavailableError(reason);
  if (hasIntents) {
    // Its intents are stored: store what became of the request once the store is back.
    auditor.writer.defer({
      ...content,
      status: 503,
      outcome: 'failed',
      errorCode: error.code,
      detail: { ...content.detail, statusBeforeAudit: content.status, reason },
    });
  }
  return problemReply(error, reached.path, reached.id);
}

function describe(err: unknown): string {
  return err instanceof AuditUnavailableError || err instanceof AuditUnavailableAfterWriteError ? err.reason : String(err);
}

function logFailure(failures: RepeatedFailureLog, reached: Reached, reply: Reply): void {
  const error = reply.error!;
  const root = error.cause !== undefined ? error.cause : error;
  const cause =
    root instanceof Error
      ? { name: root.name, message: root.message, code: (root as Error & { code?: string }).code, stack: root.stack }
      : { value: String(root) };
  failures.failed({ requestId: reached.id, code: error.code, status: reply.status, error: cause });
}

function logEntry(reached: Reached, reply: Reply, clientWentAway: boolean): RequestLogEntry {
  const op = operationOf(reached);
  return {
    requestId: reached.id,
    method: reached.method,
    path: reached.path,
    route: op?.path,
    operationId: op?.operationId,
    status: clientWentAway ? 499 : reply.status,
    code: reply.error?.code,
    rows: reply.rows,
    latencyMs: Math.round((Number(process.hrtime.bigint() - reached.startedAt) / 1e6) * 100) / 100,
    remoteAddress: reached.peer,
  };
}
