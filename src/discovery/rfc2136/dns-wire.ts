// DNS wire format for RFC 2136 messages: dns-packet encodes names and RDATA; this adds what it lacks (class NONE, offsets).
import dnsPacket from 'dns-packet';

/*
 * dns-packet encodes and decodes names and the RDATA of A, AAAA, SRV and TXT, which is what we publish. Two things an
 * UPDATE needs it does not have: class NONE (254, "delete this RR" / "RRset does not exist", RFC 2136 §2.4, §2.5) and
 * records without RDATA ("delete this RRset"); and the byte offset of the last record, which TSIG verification needs to
 * cut the signature off a response. Its per-record codecs are exported at run time but not in its type declarations,
 * so they are typed here, once.
 */
interface Codec<T> {
  encode(value: T, buf?: Buffer, offset?: number): Buffer;
  decode(buf: Buffer, offset?: number): T;
  encodingLength(value: T): number;
}
interface PacketCodecs {
  name: Codec<string> & { encode: { bytes: number }; decode: { bytes: number } };
  question: { decode: ((buf: Buffer, offset?: number) => unknown) & { bytes: number } };
  answer: { decode: ((buf: Buffer, offset?: number) => dnsPacket.Answer) & { bytes: number } };
  record(type: string): Codec<unknown>;
}
const codecs = dnsPacket as unknown as PacketCodecs;

export const TYPE = { A: 1, NS: 2, SOA: 6, TXT: 16, AAAA: 28, SRV: 33, TSIG: 250, ANY: 255 } as const;
export const CLASS = { IN: 1, NONE: 254, ANY: 255 } as const;
export const OPCODE = { QUERY: 0, UPDATE: 5 } as const;

export type PublishedType = 'A' | 'AAAA' | 'SRV' | 'TXT';
export interface SrvData {
  readonly priority: number;
  readonly weight: number;
  readonly port: number;
  readonly target: string;
}
/** RDATA by type: an address for A / AAAA, the SRV fields, the character-strings of a TXT record. */
export type RecordData = string | SrvData | readonly Buffer[];

/** One resource record as it goes on the wire; `data` undefined means RDLENGTH 0 (RFC 2136's RRset-wide forms). */
export interface WireRecord {
  readonly name: string;
  readonly type: keyof typeof TYPE;
  readonly class: keyof typeof CLASS;
  readonly ttl: number;
  readonly data?: RecordData;
}

export function encodeName(name: string): Buffer {
  return codecs.name.encode(name);
}

/** The lower-case, uncompressed form TSIG digests names in (RFC 8945 §4.3.3). */
export function canonicalName(name: string): Buffer {
  return encodeName(name.toLowerCase());
}

export function encodeRecord(record: WireRecord): Buffer {
  const fixed = Buffer.alloc(8);
  fixed.writeUInt16BE(TYPE[record.type], 0);
  fixed.writeUInt16BE(CLASS[record.class], 2);
  fixed.writeUInt32BE(record.ttl, 4);
  // The codecs write RDLENGTH themselves; a missing RDATA is RDLENGTH 0.
  const rdata =
    record.data === undefined
      ? Buffer.alloc(2)
      : codecs.record(record.type).encode(record.type === 'TXT' ? [...(record.data as readonly Buffer[])] : record.data);
  return Buffer.concat([encodeName(record.name), fixed, rdata]);
}

export interface MessageSections {
  readonly id: number;
  readonly opcode: number;
  /** QUERY: the question; UPDATE: the zone section (RFC 2136 §2.3). */
  readonly question: { readonly name: string; readonly type: keyof typeof TYPE };
  /** UPDATE: the prerequisite section. */
  readonly answers?: readonly WireRecord[];
  /** UPDATE: the update section. */
  readonly authorities?: readonly WireRecord[];
}

export function encodeMessage(sections: MessageSections): Buffer {
  const answers = sections.answers ?? [];
  const authorities = sections.authorities ?? [];
  const header = Buffer.alloc(12);
  header.writeUInt16BE(sections.id, 0);
  // QR=0 and no RD: updates go to the primary itself, queries ask it for what it holds.
  header.writeUInt16BE(sections.opcode << 11, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  header.writeUInt16BE(authorities.length, 8);
  header.writeUInt16BE(0, 10);
  const question = Buffer.alloc(4);
  question.writeUInt16BE(TYPE[sections.question.type], 0);
  question.writeUInt16BE(CLASS.IN, 2);
  return Buffer.concat([
    header,
    encodeName(sections.question.name),
    question,
    ...answers.map(encodeRecord),
    ...authorities.map(encodeRecord),
  ]);
}

export function decodeMessage(message: Buffer): dnsPacket.DecodedPacket {
  return dnsPacket.decode(message);
}

export function messageId(message: Buffer): number {
  return message.readUInt16BE(0);
}

export function isTruncated(message: Buffer): boolean {
  return (message.readUInt16BE(2) & 0x0200) !== 0;
}

export function rcodeOf(message: Buffer): number {
  return message.readUInt16BE(2) & 0x000f;
}

/** Where the last record of the additional section starts, or undefined when the section is empty. */
export function lastAdditionalOffset(message: Buffer): number | undefined {
  const counts = [4, 6, 8, 10].map((at) => message.readUInt16BE(at)) as [number, number, number, number];
  if (counts[3] === 0) return undefined;
  let offset = 12;
  for (let i = 0; i < counts[0]; i++) {
    codecs.question.decode(message, offset);
    offset += codecs.question.decode.bytes;
  }
  const records = counts[1] + counts[2] + counts[3];
  for (let i = 0; i < records - 1; i++) {
    codecs.answer.decode(message, offset);
    offset += codecs.answer.decode.bytes;
  }
  return offset;
}

/** Reads a (possibly compressed) name at `offset`; returns it and the bytes it took in place. */
export function readName(message: Buffer, offset: number): { name: string; bytes: number } {
  const name = codecs.name.decode(message, offset);
  return { name, bytes: codecs.name.decode.bytes };
}
