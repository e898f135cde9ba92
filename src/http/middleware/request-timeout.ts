// A ceiling on the whole request: past it the caller gets 504 and the response is not written twice.
import type { RequestHandler } from 'express';
import { RequestTimeoutError } from '../../errors/app-error.js';

export function requestTimeout(timeoutMs: number): RequestHandler {
  return (_req, res, next) => {
    const timer = setTimeout(() => {
      if (!res.headersSent) next(new RequestTimeoutError());
    }, timeoutMs);
    timer.unref();
    const clear = (): void => clearTimeout(timer);
    res.on('finish', clear);
    res.on('close', clear);
    next();
  };
}
