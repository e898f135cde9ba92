// Reading the contract on a second thread while `gatehouse serve` loads its modules: the YAML of a 1,000-table contract
// takes a few hundred milliseconds to read, which a worker thread does on the machine's other core. The gateway's
// thread only assembles the pieces' JSON (parse-contract.ts), as they arrive between the modules it loads.
import { Worker } from 'node:worker_threads';
import { DocumentAssembler, type PieceOperation } from './parse-contract.js';

/** The worker's young generation (the process's flags allow 16 MB and more): its memory counts against the gateway's. */
const YOUNG_GENERATION_MB = 2;

/**
 * The worker's module beside this one: the build's .js; or, when the sources run under tsx (a checkout, the tests), a
 * script that registers tsx's loader in the worker first (a worker does not inherit the main thread's module hooks).
 */
function workerEntry(): [URL | string, { eval?: boolean }] {
  const sources = import.meta.url.endsWith('.ts');
  const entry = new URL(`./contract-read-ahead-worker.${sources ? 'ts' : 'js'}`, import.meta.url);
  if (!sources) return [entry, {}];
  return [`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`, { eval: true }];
}

/** What the worker posts. */
export type ReadAheadMessage =
  | { readonly kind: 'pieces'; readonly operations: readonly PieceOperation[] }
  | { readonly kind: 'done'; readonly sha256: string }
  /** Not read here (JSON, a document that cannot be read in pieces, an unreadable file): the gateway reads it. */
  | { readonly kind: 'whole' };

/** The contract as the worker read it: the document, and the SHA-256 of the file's bytes. */
export interface ContractRead {
  readonly document: Record<string, unknown>;
  readonly sha256: string;
}

/**
 * Starts reading `file` on a worker thread; resolves with the document, or undefined whenever the gateway must read the
 * file itself (the worker could not start, the file is JSON, the document cannot be read in pieces, a key is given
 * twice, ...), which then meets and reports whatever the worker met. Never rejects.
 */
export function readContractAhead(file: string): Promise<ContractRead | undefined> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (value: ContractRead | undefined): void => {
      if (settled) return;
      settled = true;
      resolve(value);
    };
    let worker: Worker;
    try {
      // A small young generation: the worker keeps nothing but the file's bytes and the piece it is reading.
      const options = { workerData: { file }, resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB } };
      const [entry, kind] = workerEntry();
      worker = new Worker(entry, { ...options, ...kind });
    } catch {
      settle(undefined);
      return;
    }
    // It never keeps the process alive, and stops as soon as its work cannot be used.
    worker.unref();
    const giveUp = (): void => {
      settle(undefined);
      void worker.terminate();
    };
    const document = new DocumentAssembler();
    worker.on('message', (message: ReadAheadMessage) => {
      if (settled) return;
      if (message.kind === 'pieces') {
        if (!document.add(message.operations)) giveUp();
      } else if (message.kind === 'done') {
        const read = document.document;
        settle(read ? { document: read, sha256: message.sha256 } : undefined);
      } else settle(undefined);
    });
    worker.on('error', () => settle(undefined));
    worker.on('exit', () => settle(undefined));
  });
}
