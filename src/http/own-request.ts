// The gateway's own endpoints (health, docs, the contract, the auditor API, reports) are Express routes; they run the
// same stage functions as data operations, one middleware per stage. How far a request got is kept on `res.locals`,
// which Express gives every response: the one piece of per-request state here, read through `ownRequest(res)`.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { AppError } from '../errors/app-error.js';
import type { Incoming, Reached } from '../pipeline/exchange.js';
import { splitTarget } from '../pipeline/incoming.js';

export interface OwnRequest {
  /** The furthest stage value the request has reached. */
  reached: Reached;
  /** Rows an endpoint returned (audit, request log). */
  rows: number | undefined;
  /** The error the request ended with, once the error handler has seen it. */
  error: AppError | undefined;
  /** How many of the stages' reply headers are already on the response. */
  headersApplied: number;
}

const KEY = 'gatehouse';

export function ownRequest(res: Response): OwnRequest {
  const state = (res.locals as Record<string, OwnRequest | undefined>)[KEY];
  if (!state) throw new Error('the gateway pipeline has not seen this request: beginOwnRequest() must run first');
  return state;
}

export function findOwnRequest(res: Response | undefined): OwnRequest | undefined {
  return res === undefined ? undefined : (res.locals as Record<string, OwnRequest | undefined> | undefined)?.[KEY];
}

/** Stage 1 for a request Express serves: the Incoming value, kept for the stages and the audit hold that follow. */
export function beginOwnRequest(
  incoming: (message: Request, path: string, query: string, options: { audited: boolean }) => Incoming,
  audited: (path: string) => boolean,
): RequestHandler {
  return (req, res, next) => {
    const { path, query } = splitTarget(req.originalUrl);
    const reached = incoming(req, path, query, { audited: audited(path) });
    (res.locals as Record<string, OwnRequest>)[KEY] = { reached, rows: undefined, error: undefined, headersApplied: 0 };
    applyReplyHeaders(res);
    next();
  };
}

/** One stage as middleware: it takes the request's furthest value and, when it returns one, that becomes the furthest. */
export function stageMiddleware<In extends Reached>(stage: (x: In) => Reached | void | Promise<Reached | void>): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const state = ownRequest(res);
    let result: Reached | void | Promise<Reached | void>;
    try {
      result = stage(state.reached as In);
    } catch (err) {
      applyReplyHeaders(res);
      next(err);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (value) => {
          if (value) state.reached = value;
          applyReplyHeaders(res);
          next();
        },
        (err: unknown) => {
          applyReplyHeaders(res);
          next(err);
        },
      );
      return;
    }
    if (result) state.reached = result;
    applyReplyHeaders(res);
    next();
  };
}

/** Headers the stages decided (request id, rate-limit state) go on the response: Express routes write their own answers. */
export function applyReplyHeaders(res: Response): void {
  const state = ownRequest(res);
  const list = state.reached.replyHeaders;
  for (; state.headersApplied < list.length; state.headersApplied++) {
    const [name, value] = list[state.headersApplied]!;
    if (!res.headersSent) res.append(name, value);
  }
}
