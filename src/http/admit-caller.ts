// The caller has passed every check its route needs (address, token, rules): from now on its own X-Request-Id, if it
// sent a well-formed one, is the request's id — in the response, the logs and the audit event.
import type { RequestHandler, Response } from 'express';
import { contextOf, type RequestContext } from './context.js';
import { settleRequestId } from './request-id.js';

export function admitCaller(ctx: RequestContext, res: Response): void {
  const ids = settleRequestId(ctx.requestId, ctx.clientRequestId, true);
  ctx.requestId = ids.requestId;
  ctx.clientRequestId = ids.clientRequestId;
  if (!res.headersSent) res.setHeader('X-Request-Id', ids.requestId);
}

/** Without authentication (loopback only), a caller is admitted once its address passed the allowlist and limit. */
export function admitByAddress(): RequestHandler {
  return (req, res, next) => {
    admitCaller(contextOf(req), res);
    next();
  };
}
