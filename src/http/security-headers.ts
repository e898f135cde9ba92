// Headers every answer carries, whichever door or stage answers it (data, auditor API, probes, docs, problems).

/**
 * `nosniff`: a browser must not guess a type other than the declared one (a JSON body read as HTML or script).
 * `no-store`: data and audit answers are personal and change under the caller; no cache, shared or private, keeps
 * them. Routes whose content is public and stable (the docs' static files) set their own Cache-Control.
 */
export const SECURITY_HEADERS: ReadonlyArray<readonly [name: string, value: string]> = [
  ['X-Content-Type-Options', 'nosniff'],
  ['Cache-Control', 'no-store'],
];
