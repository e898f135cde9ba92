// The worker thread of contract-read-ahead.ts: reads the contract file, hashes it, and posts its pieces as they are
// read (parse-contract.ts), or says the whole text must be read.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import { emitPieces, type PieceOperation, type PieceSink } from './parse-contract.js';
import type { ReadAheadMessage } from './contract-read-ahead.js';

/** Posted in batches of about this much JSON: one message per piece would cost more than the pieces. */
const BATCH_CHARS = 96 * 1024;

const port = parentPort!;
const post = (message: ReadAheadMessage): void => port.postMessage(message);
const file = (workerData as { file: string }).file;

try {
  const bytes = await readFile(file);
  const first = bytes.findIndex((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
  // JSON (or flow YAML) is read in one go where it is used: nothing to gain here.
  if (first === -1 || bytes[first] === 0x7b || bytes[first] === 0x5b) post({ kind: 'whole' });
  else {
    let batch: PieceOperation[] = [];
    let chars = 0;
    const flush = (): void => {
      if (batch.length > 0) post({ kind: 'pieces', operations: batch });
      batch = [];
      chars = 0;
    };
    const sink: PieceSink = {
      enter: (key) => batch.push({ kind: 'enter', key }),
      leave: () => batch.push({ kind: 'leave' }),
      piece(content) {
        batch.push({ kind: 'piece', content });
        chars += typeof content === 'string' ? content.length : BATCH_CHARS;
        if (chars >= BATCH_CHARS) flush();
      },
    };
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (emitPieces(bytes, sink)) {
      flush();
      post({ kind: 'done', sha256 });
    } else post({ kind: 'whole' });
  }
} catch {
  // Unreadable or unexpected: the gateway reads the file itself and reports what it meets.
  post({ kind: 'whole' });
}
