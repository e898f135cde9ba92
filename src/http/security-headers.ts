// Headers every response carries, whichever door or stage answers it (data, auditor API, probes, problems).
import type { RequestHandler } from 'express';

/**
 * `nosniff`: a browser must not guess a type other than the declared one (a JSON body read as HTML or script).
 * `no-store`: data and audit answers are personal and change under the caller; no cache, shared or private, keeps
 * them. Routes whose content is public and stable (the docs' static files) set their own Cache-Control.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
};

export function securityHeaders(): RequestHandler {
  return (_req, res, next) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) res.setHeader(name, value);
    next();
  };
}
