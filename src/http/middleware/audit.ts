// Pipeline step 12, installed right after step 1: one audit event per request, whatever stage ends it. In strict
// mode the response is held until its event is durable; a record that cannot be stored turns it into a 503.
import type { RequestHandler, Response } from 'express';
import { AuditUnavailableError } from '../../audit/audit-unavailable-error.js';
import type { Auditor } from '../../audit/auditor.js';
import type { AuditContent } from '../../audit/event.js';
import { RequestAudit } from '../../audit/request-audit.js';
import { contextOf } from '../context.js';
import { problemBody } from '../problem.js';

const HEALTH_PATHS = new Set(['/healthz', '/readyz']);

type EndArgs = unknown[];
type WriteArgs = unknown[];

export function auditRequests(auditor: Auditor): RequestHandler {
  const strict = auditor.config.mode === 'strict';
  return (req, res, next) => {
    if (!auditor.config.includeHealth && HEALTH_PATHS.has(req.path)) return next();
    const ctx = contextOf(req);
    const audit = new RequestAudit(auditor.writer, strict, ctx, {
      method: req.method,
      path: req.originalUrl.split('?')[0] ?? req.path,
      peer: req.socket.remoteAddress,
    });
    ctx.audit = audit;
    const originalEnd = res.end.bind(res) as (...args: EndArgs) => Response;
    const originalWrite = res.write.bind(res) as (...args: WriteArgs) => boolean;
    let settled = false;

    const failClosed = (err: unknown, content: AuditContent): void => {
      const reason = err instanceof AuditUnavailableError ? err.reason : String(err);
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
      ctx.errorCode = 'audit_unavailable';
      if (res.headersSent) {
        // Part of a streamed body is out: cut it, so the client sees an incomplete response rather than a complete one.
        res.destroy();
        return;
      }
      for (const name of res.getHeaderNames()) if (name !== 'x-request-id') res.removeHeader(name);
      const error = new AuditUnavailableError(reason);
      const body = JSON.stringify(problemBody(error, content.path, ctx.requestId));
      res.statusCode = 503;
      for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
      res.setHeader('Content-Type', 'application/problem+json; charset=utf-8');
      res.setHeader('Content-Length', Buffer.byteLength(body));
      originalEnd(body);
    };

    // Streamed bodies (write before end): in strict mode an intent is durable before the first byte leaves.
    let gate: Promise<void> | undefined;
    let streaming: 'held' | 'open' | 'failed' = strict ? 'held' : 'open';
    const heldWrites: WriteArgs[] = [];
    res.write = ((...args: WriteArgs): boolean => {
      if (streaming === 'open') return originalWrite(...args);
      if (streaming === 'failed') {
        const cb = args.find((a) => typeof a === 'function') as ((err?: Error | null) => void) | undefined;
        cb?.();
        return false;
      }
      heldWrites.push(args);
      gate ??= audit.intent({ action: 'stream' }).then(
        () => {
          streaming = 'open';
          for (const held of heldWrites.splice(0)) originalWrite(...held);
          res.emit('drain');
        },
        (err: unknown) => {
          streaming = 'failed';
          heldWrites.length = 0;
          settled = true;
          failClosed(err, audit.build(res.statusCode, false));
        },
      );
      return false;
    }) as Response['write'];

    let holding = false;
    res.end = ((...args: EndArgs): Response => {
      // A second response while the first waits for its record (e.g. the request timeout firing meanwhile) is
      // dropped: the first one, whose event is being stored, is what the client gets.
      if (holding) return res;
      if (settled) return originalEnd(...args);
      settled = true;
      holding = strict;
      const finish = (): void => {
        const content = audit.build(res.statusCode, false);
        const stored = auditor.writer.append(content);
        if (!strict) {
          stored.catch((err: unknown) => auditor.sink.unstored(content, describe(err)));
          originalEnd(...args);
          return;
        }
        stored.then(
          () => originalEnd(...args),
          (err: unknown) => failClosed(err, content),
        );
      };
      // setImmediate: the handler sets ctx.rows after its send returns; let it, so the event has the count.
      if (gate) gate.then(() => (streaming === 'open' ? setImmediate(finish) : undefined), () => undefined);
      else setImmediate(finish);
      return res;
    }) as Response['end'];

    res.on('close', () => {
      audit.finish();
      if (settled) return;
      // The client went away before any response: still one event for the request.
      settled = true;
      recordAbort(auditor, audit);
    });

    if (strict) {
      const reason = auditor.writer.unavailableReason();
      if (reason) return next(new AuditUnavailableError(reason));
    }
    next();
  };
}

function recordAbort(auditor: Auditor, audit: RequestAudit): void {
  const content = audit.build(499, true);
  auditor.writer.append(content).catch((err: unknown) => auditor.sink.unstored(content, describe(err)));
}

function describe(err: unknown): string {
  return err instanceof AuditUnavailableError ? err.reason : String(err);
}
