// The request log: one JSON line per request, shaped here in one string (the per-request cost of building a winston
// info object and running it through a JSON format showed in profiles), then written by winston through a logger
// whose format passes the line through. The line has the fields the main logger's lines have.
import winston from 'winston';
import type { Logger } from './logger.js';

export interface RequestLogEntry {
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  readonly route: string | undefined;
  readonly operationId: string | undefined;
  readonly status: number;
  readonly code: string | undefined;
  readonly rows: number | undefined;
  readonly latencyMs: number;
  readonly remoteAddress: string | undefined;
}

export type RequestLog = (entry: RequestLogEntry) => void;

const MESSAGE = Symbol.for('message');
const LEVEL = Symbol.for('level');

/** Off (a no-op) when the main logger would not write info lines. */
export function createRequestLog(logger: Logger): RequestLog {
  if (logger.silent || !logger.isInfoEnabled()) return () => undefined;
  const lines = winston.createLogger({
    level: 'info',
    format: winston.format((info) => info)(),
    transports: [new winston.transports.Console()],
  });
  return (e) => {
    let line = `{"level":"info","message":"request","service":"gatehouse","event":"request","requestId":${JSON.stringify(e.requestId)},"method":${JSON.stringify(e.method)},"path":${JSON.stringify(e.path)}`;
    if (e.route !== undefined) line += `,"route":${JSON.stringify(e.route)},"operationId":${JSON.stringify(e.operationId)}`;
    line += `,"status":${e.status}`;
    if (e.code !== undefined) line += `,"code":${JSON.stringify(e.code)}`;
    if (e.rows !== undefined) line += `,"rows":${e.rows}`;
    line += `,"latencyMs":${e.latencyMs}`;
    if (e.remoteAddress !== undefined) line += `,"remoteAddress":${JSON.stringify(e.remoteAddress)}`;
    line += `,"timestamp":"${new Date().toISOString()}"}`;
    lines.log({ level: 'info', message: 'request', [LEVEL]: 'info', [MESSAGE]: line });
  };
}
