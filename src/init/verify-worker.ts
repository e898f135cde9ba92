// Worker side of init's self-check: loads slices of the generated document with the spec loader, in a heap of its own.
import { parentPort } from 'node:worker_threads';
import { SpecError } from '../errors/app-error.js';
import { loadSpec } from '../openapi/load-spec.js';

export type VerifyRequest = { readonly slice: Record<string, unknown> };
export type VerifyReply =
  | { readonly ok: true; readonly spec: Pick<Awaited<ReturnType<typeof loadSpec>>, 'resources' | 'operations'> }
  | { readonly ok: false; readonly problems: readonly string[]; readonly message: string };

parentPort?.on('message', (request: VerifyRequest) => {
  loadSpec(request.slice).then(
    (spec) => parentPort!.postMessage({ ok: true, spec: { resources: spec.resources, operations: spec.operations } } satisfies VerifyReply),
    (err: unknown) =>
      parentPort!.postMessage({
        ok: false,
        problems: err instanceof SpecError ? err.problems : [],
        message: err instanceof Error ? err.message : String(err),
      } satisfies VerifyReply),
  );
});
