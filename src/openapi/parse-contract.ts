// The contract's bytes → the document: JSON.parse for JSON, else js-yaml 4 (YAML 1.2 core schema), a large block
// document read one piece at a time.
import { CORE_SCHEMA, load } from 'js-yaml-v4';
import { blockYamlToJson } from './yaml-block-json.js';

/**
 * The document the contract's bytes hold, as js-yaml 4 reads the whole text with the YAML 1.2 core schema (as the `yaml`
 * package reads it; on a 1,000-table contract js-yaml 4 parses in a fifth of the time and memory the `yaml` package
 * spends on a document model we do not use). JSON is YAML, but JSON.parse reads it ten times faster still. Throws
 * js-yaml's or JSON's error when the text is neither.
 */
export function parseContract(bytes: Buffer, sizes: PieceSizes = PIECE_SIZES): unknown {
  const first = bytes.findIndex((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
  if (first !== -1 && (bytes[first] === 0x7b || bytes[first] === 0x5b)) {
    const text = bytes.toString('utf8');
    try {
      return JSON.parse(text);
    } catch {
      // Flow-style YAML also starts with a brace.
      return parseYaml(text, MAX_DEPTH);
    }
  }
  // Whatever the pieces cannot say for certain, the whole text says, with js-yaml's own message on an error.
  return readInPieces(bytes, sizes) ?? parseYaml(bytes.toString('utf8'), MAX_DEPTH);
}

/** js-yaml's default nesting limit, kept for the whole document when it is read in pieces. */
const MAX_DEPTH = 100;

export interface PieceSizes {
  /** A mapping entry this large is read entry by entry (`paths`, `components`, `schemas`); smaller ones in one piece. */
  readonly splitBytes: number;
  /** Sibling entries are read together up to about this size: one js-yaml call per path item would cost more. */
  readonly pieceBytes: number;
}

const PIECE_SIZES: PieceSizes = { splitBytes: 256 * 1024, pieceBytes: 32 * 1024 };

function parseYaml(text: string, maxDepth: number): unknown {
  return load(text, { schema: CORE_SCHEMA, maxDepth });
}

/** The block document cannot be read in pieces with certainty: the whole text is read instead. */
class NotInPieces extends Error {}

function isYamlError(err: unknown): boolean {
  return err instanceof Error && err.name === 'YAMLException';
}

/**
 * A block-style document (what `gatehouse init` writes, and most hand-written contracts) read a mapping entry at a time:
 * an entry of a block mapping starts on a line indented exactly as the mapping, and everything up to the next such line
 * belongs to it. Each piece is decoded and parsed alone, then copied through JSON, which lays objects out compactly:
 * the 11 MB text of a 1,000-table contract never becomes one string (22 MB, two bytes a character as soon as it holds
 * one beyond Latin-1), and the document takes about half the memory js-yaml's own objects take.
 *
 * The pieces give what the whole text gives, or nothing (undefined: read the whole text): a line that would
 * continue a quoted scalar or a flow collection of the piece before it leaves that piece unterminated, which js-yaml
 * refuses; an alias to an anchor of another piece is unknown in its piece; a key given twice is caught here; the nesting
 * limit counts from the document's root; directives, document markers and explicit keys are left to the whole text (the
 * core schema has no merge keys).
 */
export function readInPieces(bytes: Buffer, sizes: PieceSizes = PIECE_SIZES): Record<string, unknown> | undefined {
  const document = new DocumentAssembler();
  return emitPieces(bytes, document, sizes) ? document.document : undefined;
}

/**
 * Where the pieces go, in document order: `enter(key)` opens the mapping of an entry read entry by entry, `leave()`
 * closes it, `piece(content)` adds a piece's entries to the mapping open now (its JSON text, or the object itself when
 * JSON cannot carry its numbers). A DocumentAssembler builds the document from them; a worker thread can post them to
 * one (contract-read-ahead.ts).
 */
export interface PieceSink {
  enter(key: string): void;
  leave(): void;
  piece(content: string | Record<string, unknown>): void;
}

/** Sends a block document's pieces to `sink`; false when it cannot be read in pieces with certainty (read the whole text). */
export function emitPieces(text: Buffer | Lines, sink: PieceSink, sizes: PieceSizes = PIECE_SIZES): boolean {
  try {
    readMapping(text instanceof Lines ? text : Lines.of(text), sizes, sink, 0, Number.POSITIVE_INFINITY, 0, 0);
    return true;
  } catch (err) {
    if (err instanceof NotInPieces || isYamlError(err)) return false;
    throw err;
  }
}

/**
 * A document from its pieces, as a PieceSink or from the operations a worker recorded (add): a key given twice, which
 * the whole text refuses, leaves it without a document (undefined).
 */
export class DocumentAssembler implements PieceSink {
  private readonly open: Record<string, unknown>[] = [{}];
  private failed = false;

  get document(): Record<string, unknown> | undefined {
    return this.failed ? undefined : this.open[0];
  }

  enter(key: string): void {
    const child: Record<string, unknown> = {};
    this.put(this.open.at(-1)!, key, child);
    this.open.push(child);
  }

  leave(): void {
    this.open.pop();
  }

  piece(content: string | Record<string, unknown>): void {
    if (this.failed) return;
    const entries = typeof content === 'string' ? (JSON.parse(content) as Record<string, unknown>) : content;
    const into = this.open.at(-1)!;
    for (const key of Object.keys(entries)) this.put(into, key, entries[key]);
  }

  /** Operations recorded by a RecordingSink, in order; false once the document has failed. */
  add(operations: readonly PieceOperation[]): boolean {
    for (const op of operations) {
      if (op.kind === 'enter') this.enter(op.key);
      else if (op.kind === 'leave') this.leave();
      else this.piece(op.content);
    }
    return !this.failed;
  }

  private put(out: Record<string, unknown>, key: string, value: unknown): void {
    // A key given twice is an error of the whole text; `__proto__` needs js-yaml's own care.
    if (key === '__proto__' || Object.hasOwn(out, key)) this.failed = true;
    else out[key] = value;
  }
}

/** A PieceSink's calls as data, for a worker thread to post. */
export type PieceOperation =
  | { readonly kind: 'enter'; readonly key: string }
  | { readonly kind: 'leave' }
  | { readonly kind: 'piece'; readonly content: string | Record<string, unknown> };

/** Line starts of the text, and what each line begins with. */
export class Lines {
  /**
   * Built from the text's bytes in chunks, in order (a worker reads the file a chunk at a time and keeps none of it):
   * per line its start, its indentation, and the two bytes its content begins with. `read` gives the text of a byte range.
   */
  static index(chunks: Iterable<Buffer>, read: (start: number, end: number) => string): Lines {
    const index = new LineIndex();
    for (const chunk of chunks) index.add(chunk);
    return new Lines(index.finish(), read);
  }

  static of(bytes: Buffer): Lines {
    return Lines.index([bytes], (start, end) => bytes.toString('utf8', start, end));
  }

  readonly count: number;
  private constructor(
    private readonly index: IndexedLines,
    private readonly read: (start: number, end: number) => string,
  ) {
    this.count = index.count;
  }

  indent(line: number): number {
    return this.index.indents[line]!;
  }

  /** The byte the line's content starts with (a line break for a blank line). */
  first(line: number): number {
    return this.index.firsts[line]!;
  }

  /** The line holds a node's content (not blank, not only a comment). */
  hasContent(line: number): boolean {
    const c = this.index.firsts[line];
    return c !== 0x0a && c !== 0x0d && c !== 0x23 /* # */;
  }

  /** The line's content starts with an indicator followed by a space or the line's end (`- `, `? `, `: `). */
  indicatorAt(line: number, indicator: number): boolean {
    if (this.index.firsts[line] !== indicator) return false;
    const next = this.index.seconds[line];
    return next === 0x20 || next === 0x09 || next === 0x0a || next === 0x0d;
  }

  text(from: number, to: number): string {
    return this.read(this.index.starts[from]!, this.index.starts[to]!);
  }

  bytesBetween(from: number, to: number): number {
    return this.index.starts[to]! - this.index.starts[from]!;
  }
}

interface IndexedLines {
  readonly count: number;
  /** Each line's start, then the text's end (4 bytes a line: a 1,000-table contract has 300,000 lines). */
  readonly starts: Uint32Array;
  readonly indents: Uint32Array;
  readonly firsts: Uint8Array;
  /** The byte after the first (a line break at the line's end or the text's). */
  readonly seconds: Uint8Array;
}

/** Reads the bytes once, in chunks: lines may run across them. */
class LineIndex {
  private count = 0;
  private position = 0;
  private starts = new Uint32Array(1024);
  private indents = new Uint32Array(1024);
  private firsts = new Uint8Array(1024);
  private seconds = new Uint8Array(1024);
  /** 0: in the indentation (or before the line), 1: the first byte seen, 2: the second too. */
  private phase = 0;
  private open = false;

  add(chunk: Buffer): void {
    for (let i = 0; i < chunk.length; i += 1) {
      const b = chunk[i]!;
      if (!this.open) this.begin(this.position + i);
      const line = this.count - 1;
      if (b === 0x0a) {
        if (this.phase === 0) this.firsts[line] = 0x0a;
        if (this.phase <= 1) this.seconds[line] = 0x0a;
        this.open = false;
      } else if (this.phase === 0) {
        if (b === 0x20) this.indents[line]! += 1;
        else {
          this.firsts[line] = b;
          this.phase = 1;
        }
      } else if (this.phase === 1) {
        this.seconds[line] = b;
        this.phase = 2;
      }
    }
    this.position += chunk.length;
  }

  finish(): IndexedLines {
    if (this.open) {
      const line = this.count - 1;
      if (this.phase === 0) this.firsts[line] = 0x0a;
      if (this.phase <= 1) this.seconds[line] = 0x0a;
    }
    this.grow();
    this.starts[this.count] = this.position;
    return { count: this.count, starts: this.starts, indents: this.indents, firsts: this.firsts, seconds: this.seconds };
  }

  private begin(start: number): void {
    this.grow();
    this.starts[this.count] = start;
    this.indents[this.count] = 0;
    this.count += 1;
    this.phase = 0;
    this.open = true;
  }

  private grow(): void {
    if (this.count < this.starts.length - 1) return;
    const size = this.starts.length * 2;
    const widen = <T extends Uint32Array | Uint8Array>(from: T, make: (n: number) => T): T => {
      const to = make(size);
      to.set(from);
      return to;
    };
    this.starts = widen(this.starts, (n) => new Uint32Array(n));
    this.indents = widen(this.indents, (n) => new Uint32Array(n));
    this.firsts = widen(this.firsts, (n) => new Uint8Array(n));
    this.seconds = widen(this.seconds, (n) => new Uint8Array(n));
  }
}

/** The block mapping on lines [from, to), its entries at column `indent`, nested `level` mappings deep in the document. */
function readMapping(lines: Lines, sizes: PieceSizes, sink: PieceSink, from: number, until: number, indent: number, level: number): void {
  const to = Math.min(until, lines.count);
  const entries: number[] = [];
  for (let line = from; line < to; line += 1) {
    if (!lines.hasContent(line)) continue;
    const column = lines.indent(line);
    if (column < indent) throw new NotInPieces();
    if (column > indent) {
      if (entries.length === 0) throw new NotInPieces();
      continue;
    }
    const byte = lines.first(line);
    // A block sequence may sit at its key's own indentation: it belongs to the entry before.
    if (lines.indicatorAt(line, 0x2d /* - */)) {
      if (entries.length === 0) throw new NotInPieces();
      continue;
    }
    if (lines.indicatorAt(line, 0x3f /* ? */) || lines.indicatorAt(line, 0x3a /* : */)) throw new NotInPieces();
    // A byte-order mark (0xEF opens it in UTF-8) is dropped by js-yaml at the start of its text: a piece must not start with one.
    if (byte === 0x25 /* % */ || byte === 0x09 || byte === 0xef) throw new NotInPieces();
    if (column === 0 && /^(---|\.\.\.)(\s|$)/.test(lines.text(line, line + 1))) throw new NotInPieces();
    entries.push(line);
  }
  // An empty document is no mapping (js-yaml reads it as undefined).
  if (entries.length === 0) throw new NotInPieces();
  let piece = -1;
  const flush = (end: number): void => {
    if (piece === -1) return;
    sink.piece(readPiece(lines.text(piece, end), MAX_DEPTH - level));
    piece = -1;
  };
  entries.forEach((start, i) => {
    const end = entries[i + 1] ?? to;
    const body = lines.bytesBetween(start, end) > sizes.splitBytes ? splittable(lines, start, end, indent) : undefined;
    if (body !== undefined) {
      flush(start);
      sink.enter(keyOf(lines, start));
      readMapping(lines, sizes, sink, start + 1, end, body, level + 1);
      sink.leave();
      return;
    }
    if (piece === -1) piece = start;
    else if (lines.bytesBetween(piece, end) > sizes.pieceBytes) {
      flush(start);
      piece = start;
    }
  });
  flush(to);
}

/**
 * One piece: plain block YAML straight to JSON text for JSON.parse (yaml-block-json.ts), anything else through js-yaml
 * and then JSON.
 */
function readPiece(text: string, maxDepth: number): string | Record<string, unknown> {
  const json = blockYamlToJson(text, maxDepth);
  if (json !== undefined) return json;
  const parsed = parseYaml(text, maxDepth);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new NotInPieces();
  return jsonOf(parsed as Record<string, unknown>, text);
}

/** The indentation of the entry's value when it is a block mapping on the lines after a bare `key:`; else undefined. */
function splittable(lines: Lines, start: number, end: number, indent: number): number | undefined {
  if (!/:[ \t]*\r?\n?$/.test(lines.text(start, start + 1))) return undefined;
  for (let line = start + 1; line < end; line += 1) {
    if (!lines.hasContent(line)) continue;
    const column = lines.indent(line);
    return column > indent && !lines.indicatorAt(line, 0x2d) ? column : undefined;
  }
  return undefined;
}

/** The key of a `key:` line, as js-yaml reads it. */
function keyOf(lines: Lines, line: number): string {
  const parsed = parseYaml(lines.text(line, line + 1), MAX_DEPTH);
  const keys = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? Object.keys(parsed) : [];
  if (keys.length !== 1 || (parsed as Record<string, unknown>)[keys[0]!] !== null) throw new NotInPieces();
  return keys[0]!;
}

/** Text from which the core schema reads negative zero (`-0`, `-0.0`, `-.0`, ...), which JSON writes as 0. */
const MAYBE_NEGATIVE_ZERO = /-\.?0/;
/** A null in JSON text: what JSON writes for infinity and not-a-number (and for YAML's own nulls). */
const NULL_VALUE = /[:[,]null[,}\]]/;

/**
 * The piece as JSON text (JSON.parse lays its objects out compactly, with strings of their own), unless a number JSON
 * cannot carry is in it: then the object itself. Most pieces can hold none, which their text and their JSON show without
 * looking at every value.
 */
function jsonOf(node: Record<string, unknown>, text: string): string | Record<string, unknown> {
  const json = JSON.stringify(node);
  if ((MAYBE_NEGATIVE_ZERO.test(text) || NULL_VALUE.test(json)) && !jsonSafe(node)) return node;
  return json;
}

function jsonSafe(node: unknown): boolean {
  if (typeof node === 'number') return Number.isFinite(node) && !Object.is(node, -0);
  if (typeof node !== 'object' || node === null) return true;
  if (Array.isArray(node)) return node.every(jsonSafe);
  for (const key in node) if (!jsonSafe((node as Record<string, unknown>)[key])) return false;
  return true;
}
