// Pipeline step 1: request id (a well-formed X-Request-Id is kept), start time, AsyncLocalStorage scope.
import type { RequestHandler } from 'express';
import { newId } from '../../util/ids.js';
import { requestStorage, setContext, type RequestContext } from '../context.js';

const WELL_FORMED_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestContext(): RequestHandler {
  return (req, res, next) => {
    const incoming = req.get('x-request-id');
    const ctx: RequestContext = {
      requestId: incoming && WELL_FORMED_ID.test(incoming) ? incoming : newId(),
      startedAt: process.hrtime.bigint(),
      receivedAt: new Date(),
    };
    setContext(req, ctx);
    res.setHeader('X-Request-Id', ctx.requestId);
    requestStorage.run(ctx, next);
  };
}
