// Audit for the gateway's own endpoints, which write their own responses: one event per request, however it ends.
// In strict mode the response is held until its event is durable; a record that cannot be stored turns it into a 503.
//
// The hold works by wrapping res.end and res.write once, on this app's response prototype (express's app.response,
// the prototype of every res it serves), not on each response. Data operations never reach this: they are answered
// by the pipeline, which stores the event before its one write.
import type { Express, RequestHandler, Response } from 'express';
import { AuditUnavailableError } from '../audit/audit-unavailable-error.js';
import type { Auditor } from '../audit/auditor.js';
import type { AuditContent } from '../audit/event.js';
import type { RequestAudit, Settlement } from '../audit/request-audit.js';
import { auditFacts } from '../pipeline/audit-facts.js';
import { problemBody } from './problem.js';
import { SECURITY_HEADERS } from './security-headers.js';
import { findOwnRequest, ownRequest, type OwnRequest } from './own-request.js';

/** Headers a 503 keeps when it replaces the held response: the id, and those every answer carries. */
const KEPT_ON_FAILURE = new Set(['x-request-id', ...SECURITY_HEADERS.map(([name]) => name.toLowerCase())]);

type Args = unknown[];
type Method = (this: Response, ...args: Args) => unknown;

/** Wraps the app's responses and returns the middleware that starts each request's hold. */
export function auditOwnRequests(app: Express, auditor: Auditor): RequestHandler {
  // Per app: each response's hold, found by the wrapped end/write.
  const holds = new WeakMap<Response, AuditedResponse>();
  const proto = app.response as unknown as { end: Method; write: Method };
  const end = proto.end;
  const write = proto.write;
  proto.end = function (this: Response, ...args: Args) {
    const hold = holds.get(this);
    return hold ? hold.end(args) : end.apply(this, args);
  };
  proto.write = function (this: Response, ...args: Args) {
    const hold = holds.get(this);
    return hold ? hold.write(args) : write.apply(this, args);
  };

  const strict = auditor.config.mode === 'strict';
  return (_req, res, next) => {
    const state = findOwnRequest(res);
    const audit = state?.reached.audit;
    if (!state || !audit) return next();
    const hold = new AuditedResponse(auditor, strict, audit, state, res, end, write);
    holds.set(res, hold);
    res.on('close', () => hold.closed());
    next();
  };
}

/** One response's audit state: whether it is settled, held for its record, or streaming behind an intent. */
class AuditedResponse {
  private settled = false;
  private holding = false;
  /** Streamed bodies (write before end): in strict mode an intent is durable before the first byte leaves. */
  private gate: Promise<void> | undefined;
  private streaming: 'held' | 'open' | 'failed';
  private heldWrites: Args[] = [];
  private endArgs: Args = [];

  constructor(
    private readonly auditor: Auditor,
    private readonly strict: boolean,
    private readonly audit: RequestAudit,
    private readonly state: OwnRequest,
    private readonly res: Response,
    private readonly originalEnd: Method,
    private readonly originalWrite: Method,
  ) {
    this.streaming = strict ? 'held' : 'open';
  }

  write(args: Args): boolean {
    if (this.streaming === 'open') return this.originalWrite.apply(this.res, args) as boolean;
    if (this.streaming === 'failed') {
      const cb = args.find((a) => typeof a === 'function') as ((err?: Error | null) => void) | undefined;
      cb?.();
      return false;
    }
    this.heldWrites.push(args);
    this.gate ??= this.audit.intent(auditFacts(this.state.reached), { action: 'stream' }).then(
      () => {
        this.streaming = 'open';
        for (const held of this.heldWrites.splice(0)) this.originalWrite.apply(this.res, held);
        this.res.emit('drain');
      },
      (err: unknown) => {
        this.streaming = 'failed';
        this.heldWrites.length = 0;
        this.settled = true;
        this.failClosed(err, this.content(this.res.statusCode, false));
      },
    );
    return false;
  }

  end(args: Args): Response {
    // A second response while the first waits for its record (e.g. the request timeout firing meanwhile) is
    // dropped: the first one, whose event is being stored, is what the client gets.
    if (this.holding) return this.res;
    if (this.settled) return this.originalEnd.apply(this.res, args) as Response;
    this.settled = true;
    this.holding = this.strict;
    this.endArgs = args;
    // setImmediate: a handler may record its row count after its send returns; let it, so the event has it.
    if (this.gate) this.gate.then(() => (this.streaming === 'open' ? setImmediate(finish, this) : undefined), () => undefined);
    else setImmediate(finish, this);
    return this.res;
  }

  /** The response is complete: store its event, then (strict) release it. */
  finish(): void {
    const content = this.content(this.res.statusCode, false);
    const stored = this.auditor.writer.append(content);
    if (!this.strict) {
      stored.catch((err: unknown) => this.auditor.sink.unstored(content, describe(err)));
      this.originalEnd.apply(this.res, this.endArgs);
      return;
    }
    stored.then(
      () => this.originalEnd.apply(this.res, this.endArgs),
      (err: unknown) => this.failClosed(err, content),
    );
  }

  closed(): void {
    this.audit.finish();
    if (this.settled) return;
    // The client went away before any response: still one event for the request.
    this.settled = true;
    const content = this.content(499, true);
    this.auditor.writer.append(content).catch((err: unknown) => this.auditor.sink.unstored(content, describe(err)));
  }

  private content(status: number, clientWentAway: boolean): AuditContent {
    const settlement: Settlement = {
      status,
      clientWentAway,
      errorCode: this.state.error?.code,
      deniedBy: this.state.error?.deniedBy,
      rows: this.state.rows,
    };
    return this.audit.build(auditFacts(this.state.reached), settlement);
  }

  private failClosed(err: unknown, content: AuditContent): void {
    const { auditor, audit, res } = this;
    const reason = describe(err);
    auditor.sink.unstored(content, reason);
    if (audit.hasIntents) {
      // Its intents are stored: store what became of the request once the store is back.
      auditor.writer.defer({
        ...content,
        status: 503,
        outcome: 'failed',
        errorCode: 'audit_unavailable',
        detail: { ...content.detail, statusBeforeAudit: content.status, reason },
      });
    }
    const error = new AuditUnavailableError(reason);
    ownRequest(res).error = error;
    if (res.headersSent) {
      // Part of a streamed body is out: cut it, so the client sees an incomplete response rather than a complete one.
      res.destroy();
      return;
    }
    for (const name of res.getHeaderNames()) if (!KEPT_ON_FAILURE.has(name)) res.removeHeader(name);
    const body = JSON.stringify(problemBody(error, content.path, this.state.reached.id));
    res.statusCode = 503;
    for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
    res.setHeader('Content-Type', 'application/problem+json; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(body));
    this.originalEnd.call(res, body);
  }
}

function finish(hold: AuditedResponse): void {
  hold.finish();
}

function describe(err: unknown): string {
  return err instanceof AuditUnavailableError ? err.reason : String(err);
}
