// A write's JSON body: media type (415), content coding (gzip, deflate, br), size after decoding (413), strict JSON (400).
// Read only by the validate stage, after the caller is authorized: an unauthorized caller never makes us read or inflate.
import type { IncomingMessage } from 'node:http';
import { createBrotliDecompress, createGunzip, createInflate, type Gunzip } from 'node:zlib';
import typeis from 'type-is';
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from '../errors/app-error.js';

const JSON_TYPES = ['application/json', 'application/*+json'];

/** No body at all: `undefined`; otherwise the parsed JSON value (an object or an array). */
export async function readJsonBody(message: IncomingMessage, limitBytes: number, limitText: string): Promise<unknown> {
  if (!typeis.hasBody(message)) return undefined;
  if (typeis(message, JSON_TYPES) === false) throw new UnsupportedMediaTypeError('send the body as application/json');
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(message.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw new UnsupportedMediaTypeError('the request body must be UTF-8 JSON');
  }
  const declared = Number(message.headers['content-length'] ?? Number.NaN);
  if (declared > limitBytes) throw new PayloadTooLargeError(limitText);
  const text = await readText(message, limitBytes, limitText);
  // Strict, as body-parser's `strict`: only an object or an array is a request body.
  const first = /\S/.exec(text)?.[0];
  if (first !== '{' && first !== '[') throw new ValidationError('malformed_json', 'the request body is not valid JSON');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ValidationError('malformed_json', 'the request body is not valid JSON');
  }
}

function decoderFor(message: IncomingMessage): Gunzip | undefined {
  const coding = (message.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  switch (coding) {
    case 'identity':
    case '':
      return undefined;
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress() as unknown as Gunzip;
    default:
      throw new UnsupportedMediaTypeError(`the content coding "${coding}" is not supported; send identity, gzip, deflate or br`);
  }
}

/** The decoded body as UTF-8 text, refused once it grows past the limit (so a small compressed bomb stays small). */
function readText(message: IncomingMessage, limitBytes: number, limitText: string): Promise<string> {
  const decoder = decoderFor(message);
  const stream: NodeJS.ReadableStream = decoder ? message.pipe(decoder) : message;
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      decoder?.destroy();
      // Stop reading: the answer goes out now, and Node discards the rest of the body.
      message.unpipe();
      reject(error);
    };
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) fail(new PayloadTooLargeError(limitText));
      else chunks.push(chunk);
    });
    stream.on('end', () => {
      if (settled) return;
      settled = true;
      resolve(Buffer.concat(chunks, size).toString('utf8'));
    });
    const aborted = (): void => fail(new ValidationError('request_aborted', 'the request body was not completely received'));
    message.on('aborted', aborted);
    message.on('error', aborted);
    decoder?.on('error', () => fail(new ValidationError('invalid_content_encoding', 'the request body is not valid for its Content-Encoding')));
  });
}
