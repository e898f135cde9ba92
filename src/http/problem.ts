// RFC 9457 problem details: the one place an error becomes a response body.
import type { Response } from 'express';
import { AppError } from '../errors/app-error.js';

export const PROBLEM_TYPE_BASE = 'urn:gatehouse:problem:';

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance: string;
  requestId: string;
  [extra: string]: unknown;
}

export function problemBody(error: AppError, instance: string, requestId: string): ProblemBody {
  const body: ProblemBody = {
    type: `${PROBLEM_TYPE_BASE}${error.code}`,
    title: TITLES[error.status] ?? 'Error',
    status: error.status,
    detail: error.expose ? error.message : (TITLES[error.status] ?? 'Error').toLowerCase(),
    code: error.code,
    instance: uriReference(instance),
    requestId,
  };
  if (error.expose) {
    for (const [k, v] of Object.entries(error.extras)) if (v !== undefined && !(k in body)) body[k] = v;
  }
  return body;
}

/** Characters a URI path may hold as they are (RFC 3986 pchar and `/`); a valid `%XX` escape also stays. */
const PATH_SAFE = /[A-Za-z0-9\-._~!$&'()*+,;=:@/]/;

/**
 * The request path as a URI reference (RFC 3986), whatever the client sent: a stray `%` (`/customers/%zz`) becomes
 * `%25`, and any other character a path may not hold is percent-encoded as UTF-8.
 */
export function uriReference(path: string): string {
  let out = '';
  for (let i = 0; i < path.length; i += 1) {
    const c = path[i]!;
    if (c === '%' && /^[0-9A-Fa-f]{2}$/.test(path.slice(i + 1, i + 3))) out += c;
    else if (PATH_SAFE.test(c)) out += c;
    else {
      const point = path.codePointAt(i)!;
      // A lone surrogate has no UTF-8 form: it is written as U+FFFD.
      const char = point > 0xffff ? String.fromCodePoint(point) : point >= 0xd800 && point <= 0xdfff ? '\uFFFD' : c;
      if (point > 0xffff) i += 1;
      for (const byte of Buffer.from(char, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

export function sendProblem(res: Response, error: AppError, instance: string, requestId: string): void {
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res.status(error.status).type('application/problem+json').send(JSON.stringify(problemBody(error, instance, requestId)));
}
