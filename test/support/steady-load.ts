// Steady HTTP load for reliability tests: N keep-alive workers calling a listening gateway back to back, each answer
// recorded with its time, status and problem code; bounded by a deadline and a request count.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

export interface LoadRequest {
  readonly method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly body?: unknown;
}

export interface LoadAnswer {
  /** When the request was sent (Date.now()). */
  readonly sentAt: number;
  /** When the answer arrived (Date.now()). */
  readonly at: number;
  readonly requestId: string;
  readonly method: string;
  readonly path: string;
  /** 0: the request failed without an HTTP answer. */
  readonly status: number;
  readonly code: string | undefined;
  readonly body?: unknown;
}

export interface LoadOptions {
  readonly baseUrl: string;
  readonly connections: number;
  /** Stop sending once this returns true (checked before each request), or at the deadline / count. */
  readonly stop?: () => boolean;
  readonly durationMs: number;
  readonly maxRequests?: number;
  /** What request `n` (0-based, across workers) sends. */
  readonly request: (n: number) => LoadRequest;
  /** Request ids are `${prefix}-${n}`. */
  readonly prefix: string;
  /** Called with each answer as it arrives. */
  readonly onAnswer?: (answer: LoadAnswer) => void;
}

/** Runs the load; resolves with every answer once all workers have stopped. */
export async function steadyLoad(options: LoadOptions): Promise<LoadAnswer[]> {
  const answers: LoadAnswer[] = [];
  const deadline = Date.now() + options.durationMs;
  const max = options.maxRequests ?? Number.MAX_SAFE_INTEGER;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (Date.now() < deadline && next < max && !(options.stop?.() ?? false)) {
      const n = next++;
      const req = options.request(n);
      const requestId = `${options.prefix}-${n}`;
      const sentAt = Date.now();
      let answer: LoadAnswer;
      try {
        const res = await fetch(`${options.baseUrl}${req.path}`, {
          method: req.method,
          headers: { 'x-request-id': requestId, ...(req.body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: req.body === undefined ? undefined : JSON.stringify(req.body),
          signal: AbortSignal.timeout(15_000),
        });
        const text = await res.text();
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = text;
        }
        const code = res.status >= 400 ? ((body as { code?: string } | undefined)?.code ?? undefined) : undefined;
        answer = { sentAt, at: Date.now(), requestId, method: req.method, path: req.path, status: res.status, code, body };
      } catch (err) {
        answer = { sentAt, at: Date.now(), requestId, method: req.method, path: req.path, status: 0, code: String(err) };
      }
      answers.push(answer);
      options.onAnswer?.(answer);
    }
  };
  await Promise.all(Array.from({ length: options.connections }, worker));
  return answers;
}

/** Listens on 127.0.0.1 on a free port; returns the base URL and a close that cuts open connections. */
export async function listen(app: Express): Promise<{ baseUrl: string; close: () => Promise<void> }> {
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** "GET 200 × 12, 503 audit_unavailable × 3" — for assertion messages. */
export function tally(answers: readonly LoadAnswer[]): string {
  const counts = new Map<string, number>();
  for (const a of answers) {
    const key = `${a.status}${a.code ? ` ${a.code.slice(0, 80)}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${k} × ${n}`).join(', ');
}
