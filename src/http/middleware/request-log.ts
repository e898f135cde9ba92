// One JSON log line per request, written when the response finishes (or the client goes away).
import type { RequestHandler } from 'express';
import type { Logger } from '../../observability/logger.js';
import { contextOf } from '../context.js';

export function requestLog(logger: Logger, enabled: boolean): RequestHandler {
  return (req, res, next) => {
    if (!enabled) return next();
    const ctx = contextOf(req);
    let logged = false;
    const log = (): void => {
      if (logged) return;
      logged = true;
      const latencyMs = Number(process.hrtime.bigint() - ctx.startedAt) / 1e6;
      logger.info('request', {
        event: 'request',
        requestId: ctx.requestId,
        method: req.method,
        path: req.path,
        route: ctx.operation?.path,
        operationId: ctx.operation?.operationId,
        status: res.headersSent ? res.statusCode : 499,
        code: ctx.errorCode,
        rows: ctx.rows,
        latencyMs: Math.round(latencyMs * 100) / 100,
        remoteAddress: req.socket.remoteAddress,
      });
    };
    res.on('finish', log);
    res.on('close', log);
    next();
  };
}
