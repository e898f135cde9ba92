// The worker thread of contract-read-ahead.ts: reads the contract file a chunk at a time (indexing its lines and hashing
// it), then posts its pieces as they are read from the file again (parse-contract.ts), or says the whole text must be
// read. It never holds the whole file: its memory counts against the gateway's.
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { emitPieces, Lines, type PieceOperation, type PieceSink } from './parse-contract.js';
import type { ReadAheadMessage } from './contract-read-ahead.js';

/** Posted in batches of about this much JSON: one message per piece would cost more than the pieces. */
const BATCH_CHARS = 96 * 1024;

const port = parentPort!;
const post = (message: ReadAheadMessage): void => port.postMessage(message);
const file = (workerData as { file: string }).file;

const CHUNK_BYTES = 1024 * 1024;

/** The file's bytes from `start` to `end`, as text. */
function reader(fd: number): (start: number, end: number) => string {
  return (start, end) => {
    const bytes = Buffer.allocUnsafe(end - start);
    let done = 0;
    while (done < bytes.length) {
      const read = readSync(fd, bytes, done, bytes.length - done, start + done);
      if (read === 0) throw new Error('the contract file changed while it was read');
      done += read;
    }
    return bytes.toString('utf8');
  };
}

/** The file a chunk at a time, each hashed on its way. */
function* chunksOf(fd: number, size: number, hash: ReturnType<typeof createHash>): Generator<Buffer> {
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  for (let position = 0; position < size; ) {
    const read = readSync(fd, buffer, 0, Math.min(CHUNK_BYTES, size - position), position);
    if (read === 0) throw new Error('the contract file changed while it was read');
    const chunk = buffer.subarray(0, read);
    hash.update(chunk);
    yield chunk;
    position += read;
  }
}

let fd: number | undefined;
try {
  fd = openSync(file, 'r');
  const size = fstatSync(fd).size;
  const head = reader(fd)(0, Math.min(size, 4096));
  const first = /\S/.exec(head)?.[0];
  // JSON (or flow YAML) is read in one go where it is used: nothing to gain here.
  if (first === undefined || first === '{' || first === '[') post({ kind: 'whole' });
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
    const hash = createHash('sha256');
    const lines = Lines.index(chunksOf(fd, size, hash), reader(fd));
    const sha256 = hash.digest('hex');
    if (emitPieces(lines, sink)) {
      flush();
      post({ kind: 'done', sha256 });
    } else post({ kind: 'whole' });
  }
} catch {
  // Unreadable or unexpected: the gateway reads the file itself and reports what it meets.
  post({ kind: 'whole' });
} finally {
  if (fd !== undefined) closeSync(fd);
}
