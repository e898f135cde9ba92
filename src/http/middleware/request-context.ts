// Pipeline step 1: request id (the gateway's own; a caller's X-Request-Id counts once it is admitted), start time,
// AsyncLocalStorage scope.
import type { RequestHandler } from 'express';
import { newId } from '../../util/ids.js';
import { requestStorage, setContext, type RequestContext } from '../context.js';
import { clientRequestIdFrom, settleRequestId } from '../request-id.js';

export function requestContext(): RequestHandler {
  return (req, res, next) => {
    const ids = settleRequestId(newId(), clientRequestIdFrom(req.headers['x-request-id']), false);
    const ctx: RequestContext = {
      ...ids,
      startedAt: process.hrtime.bigint(),
      receivedAt: new Date(),
    };
    setContext(req, ctx);
    res.setHeader('X-Request-Id', ctx.requestId);
    requestStorage.run(ctx, next);
  };
}
