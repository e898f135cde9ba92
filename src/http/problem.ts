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
    instance,
    requestId,
  };
  if (error.expose) {
    for (const [k, v] of Object.entries(error.extras)) if (v !== undefined && !(k in body)) body[k] = v;
  }
  return body;
}

export function sendProblem(res: Response, error: AppError, instance: string, requestId: string): void {
  for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
  res.status(error.status).type('application/problem+json').send(JSON.stringify(problemBody(error, instance, requestId)));
}
