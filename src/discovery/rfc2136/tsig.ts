// TSIG (RFC 8945): signs a request and verifies the server's signed answer with a shared HMAC key.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalName, CLASS, encodeName, lastAdditionalOffset, readName, TYPE } from './dns-wire.js';

/*
 * dns-packet has no TSIG support (the RR type is only a number to it), so the RR and its MAC are built here over
 * the bytes dns-packet and dns-wire.ts produce: the MAC covers the exact message sent, plus the "TSIG variables".
 */

export type TsigAlgorithm = 'hmac-sha256' | 'hmac-sha384' | 'hmac-sha512' | 'hmac-sha224' | 'hmac-sha1' | 'hmac-md5';

export interface TsigKey {
  /** Fully qualified key name, as the server's `key "…"` clause names it. */
  readonly name: string;
  readonly algorithm: TsigAlgorithm;
  /** The shared secret, decoded from base64. */
  readonly secret: Buffer;
}

const DIGEST: Readonly<Record<TsigAlgorithm, string>> = {
  'hmac-sha256': 'sha256',
  'hmac-sha384': 'sha384',
  'hmac-sha512': 'sha512',
  'hmac-sha224': 'sha224',
  'hmac-sha1': 'sha1',
  'hmac-md5': 'md5',
};

/** The algorithm's name on the wire; HMAC-MD5 kept its historical name (RFC 8945 §6). */
function algorithmName(algorithm: TsigAlgorithm): string {
  return algorithm === 'hmac-md5' ? 'hmac-md5.sig-alg.reg.int.' : `${algorithm}.`;
}

/** Seconds of clock difference either side that the server and we accept; 300 is what RFC 8945 §10 recommends. */
export const FUDGE_SECONDS = 300;

/** TSIG error codes (RFC 8945 §5.2) carried in the TSIG RR, distinct from the header's RCODE. */
export const TSIG_ERRORS: Readonly<Record<number, string>> = { 16: 'BADSIG', 17: 'BADKEY', 18: 'BADTIME', 22: 'BADTRUNC' };

interface TsigFields {
  readonly algorithm: string;
  readonly timeSigned: number;
  readonly fudge: number;
  readonly mac: Buffer;
  readonly originalId: number;
  readonly error: number;
  readonly other: Buffer;
}

function uint48(value: number): Buffer {
  const b = Buffer.alloc(6);
  b.writeUIntBE(value, 0, 6);
  return b;
}

function uint16(value: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(value, 0);
  return b;
}

/** The TSIG variables (RFC 8945 §4.3.3) that follow the message in the MAC's input. */
function variables(key: TsigKey, fields: Pick<TsigFields, 'timeSigned' | 'fudge' | 'error' | 'other'>): Buffer {
  const classTtl = Buffer.alloc(6);
  classTtl.writeUInt16BE(CLASS.ANY, 0);
  return Buffer.concat([
    canonicalName(key.name),
    classTtl,
    canonicalName(algorithmName(key.algorithm)),
    uint48(fields.timeSigned),
    uint16(fields.fudge),
    uint16(fields.error),
    uint16(fields.other.length),
    fields.other,
  ]);
}

function hmac(key: TsigKey, parts: readonly Buffer[]): Buffer {
  const mac = createHmac(DIGEST[key.algorithm], key.secret);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

export interface SignedRequest {
  readonly message: Buffer;
  readonly id: number;
  /** Needed to verify the answer, whose MAC covers the request's. */
  readonly mac: Buffer;
}

/** Appends a TSIG RR to `message` (which has no additional records yet) and bumps ARCOUNT. */
export function signRequest(message: Buffer, key: TsigKey, nowSeconds: number): SignedRequest {
  const id = message.readUInt16BE(0);
  const fields = { timeSigned: nowSeconds, fudge: FUDGE_SECONDS, error: 0, other: Buffer.alloc(0) };
  const mac = hmac(key, [message, variables(key, fields)]);
  const rdata = Buffer.concat([
    encodeName(algorithmName(key.algorithm)),
    uint48(fields.timeSigned),
    uint16(fields.fudge),
    uint16(mac.length),
    mac,
    uint16(id),
    uint16(fields.error),
    uint16(0),
  ]);
  const head = Buffer.alloc(10);
  head.writeUInt16BE(TYPE.TSIG, 0);
  head.writeUInt16BE(CLASS.ANY, 2);
  head.writeUInt32BE(0, 4);
  head.writeUInt16BE(rdata.length, 8);
  const signed = Buffer.concat([message, encodeName(key.name), head, rdata]);
  signed.writeUInt16BE(signed.readUInt16BE(10) + 1, 10);
  return { message: signed, id, mac };
}

export type TsigVerdict =
  | { readonly kind: 'verified' }
  /** The answer carries no TSIG at all: nothing in it can be trusted, not even its RCODE. */
  | { readonly kind: 'unsigned' }
  /** The server reports a TSIG error (its answer is then unsigned, RFC 8945 §5.3.2): our key was not accepted. */
  | { readonly kind: 'server-error'; readonly error: string }
  /** The answer's TSIG does not check out: wrong key, altered message, or a clock too far off. */
  | { readonly kind: 'invalid'; readonly reason: string };

/** Checks the TSIG on the server's answer to `request` (RFC 8945 §5.3). */
export function verifyResponse(response: Buffer, request: SignedRequest, key: TsigKey, nowSeconds: number): TsigVerdict {
  const at = lastAdditionalOffset(response);
  if (at === undefined) return { kind: 'unsigned' };
  const owner = readName(response, at);
  let offset = at + owner.bytes;
  if (response.readUInt16BE(offset) !== TYPE.TSIG) return { kind: 'unsigned' };
  const rdlength = response.readUInt16BE(offset + 8);
  offset += 10;
  const end = offset + rdlength;
  if (end !== response.length) return { kind: 'invalid', reason: 'the TSIG record is not the last thing in the answer' };
  const algorithm = readName(response, offset);
  offset += algorithm.bytes;
  const timeSigned = response.readUIntBE(offset, 6);
  const fudge = response.readUInt16BE(offset + 6);
  const macSize = response.readUInt16BE(offset + 8);
  offset += 10;
  const mac = response.subarray(offset, offset + macSize);
  offset += macSize;
  const fields: TsigFields = {
    algorithm: algorithm.name,
    timeSigned,
    fudge,
    mac,
    originalId: response.readUInt16BE(offset),
    error: response.readUInt16BE(offset + 2),
    other: response.subarray(offset + 6, offset + 6 + response.readUInt16BE(offset + 4)),
  };
  if (fields.error !== 0) return { kind: 'server-error', error: TSIG_ERRORS[fields.error] ?? `TSIG error ${fields.error}` };
  if (normalise(owner.name) !== normalise(key.name)) return { kind: 'invalid', reason: `signed with key ${owner.name}, not ${key.name}` };
  if (normalise(fields.algorithm) !== normalise(algorithmName(key.algorithm))) {
    return { kind: 'invalid', reason: `signed with ${fields.algorithm}, not ${key.algorithm}` };
  }
  if (fields.originalId !== request.id) return { kind: 'invalid', reason: 'the TSIG names another request' };
  // The MAC covers the answer as it was before the TSIG RR was added: original id, one additional record fewer.
  const unsigned = Buffer.from(response.subarray(0, at));
  unsigned.writeUInt16BE(fields.originalId, 0);
  unsigned.writeUInt16BE(unsigned.readUInt16BE(10) - 1, 10);
  const expected = hmac(key, [uint16(request.mac.length), request.mac, unsigned, variables(key, fields)]);
  if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) {
    return { kind: 'invalid', reason: 'the answer’s signature does not match our key' };
  }
  if (Math.abs(nowSeconds - fields.timeSigned) > fields.fudge) {
    return { kind: 'invalid', reason: `the answer was signed ${nowSeconds - fields.timeSigned} s from our clock, beyond its fudge of ${fields.fudge} s` };
  }
  return { kind: 'verified' };
}

function normalise(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}
