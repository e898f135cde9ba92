// A fast path for the plainest block YAML (what `gatehouse init` and most editors write): a piece of the contract turned
// straight into JSON text, for JSON.parse to build; anything else is left to js-yaml.
import { CORE_SCHEMA } from 'js-yaml-v4';

interface ImplicitType {
  resolve(text: string): boolean;
  construct(text: string): unknown;
}

/** js-yaml's own resolvers of the core schema (null, bool, int, float), in its order: a plain scalar means what it says. */
const IMPLICIT = (CORE_SCHEMA as { compiledImplicit: readonly ImplicitType[] }).compiledImplicit;

/**
 * What this path leaves to js-yaml wherever it is in the text: the characters js-yaml refuses as non-printable or may
 * read as a break (NEL), a byte-order mark (which js-yaml drops at the start), surrogates (js-yaml refuses unpaired
 * ones), carriage returns and tabs. Plain character classes:
 * one test each is cheap on every piece.
 */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const LEFT_TO_JS_YAML = /[\x00-\x09\x0B-\x1F\x7F-\x9F\uFEFF\uFFFE\uFFFF]/;
const SURROGATE = /[\uD800-\uDFFF]/;
/**
 * Whether a plain scalar's first character makes js-yaml try null, bool, int and float before taking it as a string:
 * `- + . ~`, a digit, or the first letter of null, true or false in any case js-yaml knows.
 */
function mayResolve(raw: string): boolean {
  const c = raw.charCodeAt(0);
  return (c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x7e || c === 0x6e || c === 0x4e || c === 0x74 || c === 0x54 || c === 0x66 || c === 0x46;
}

/** The indicators a plain scalar may not start with (`-`, `?` and `:` are checked apart: before a space only). */
const INDICATORS = new Set(Array.from(',[]{}#&*!|>\'"%@`', (c) => c.charCodeAt(0)));

const SPACE = 0x20;
const DASH = 0x2d;
const COLON = 0x3a;
const HASH = 0x23;
const SINGLE = 0x27;
const DOUBLE = 0x22;

/** Not in the plain subset: js-yaml reads this piece. */
class Unsupported extends Error {}

function unsupported(): never {
  throw new Unsupported();
}

/**
 * The JSON text of the block mapping `text` holds, exactly as js-yaml (core schema) reads it; undefined when the text
 * uses anything beyond block mappings and sequences of single-line plain and quoted scalars (flow collections other
 * than `[]` and `{}`, block or multi-line scalars, escapes JSON does not share, anchors, aliases, tags, comments after a
 * value, explicit keys, a key given twice, a number JSON cannot carry, nesting near `maxDepth`, ...).
 */
export function blockYamlToJson(text: string, maxDepth = 100): string | undefined {
  if (LEFT_TO_JS_YAML.test(text) || SURROGATE.test(text)) return undefined;
  const lines = contentLines(text);
  if (lines.count === 0) return undefined;
  const reader: Reader = { text, lines, at: 0, maxDepth, out: '' };
  try {
    if (isSequenceItem(text, lines.start[0]!)) return undefined;
    readMapping(reader, lines.indent[0]!, 0, lines.start[0]!);
  } catch (err) {
    if (err instanceof Unsupported) return undefined;
    throw err;
  }
  return reader.at === lines.count ? reader.out : undefined;
}

/** The lines that hold content (not blank, not only a comment): where it starts, where the line ends, its indentation. */
interface ContentLines {
  readonly count: number;
  readonly start: readonly number[];
  readonly end: readonly number[];
  readonly indent: readonly number[];
}

function contentLines(text: string): ContentLines {
  const start: number[] = [];
  const end: number[] = [];
  const indent: number[] = [];
  let lineStart = 0;
  while (lineStart < text.length) {
    let lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd === -1) lineEnd = text.length;
    let at = lineStart;
    while (at < lineEnd && text.charCodeAt(at) === SPACE) at += 1;
    if (at < lineEnd && text.charCodeAt(at) !== HASH) {
      start.push(at);
      end.push(lineEnd);
      indent.push(at - lineStart);
    }
    lineStart = lineEnd + 1;
  }
  return { count: start.length, start, end, indent };
}

interface Reader {
  readonly text: string;
  readonly lines: ContentLines;
  /** The content line being read. */
  at: number;
  /** js-yaml's nesting limit for the piece: a node this deep is left to js-yaml, which refuses it. */
  readonly maxDepth: number;
  /** The JSON written so far (appended to: V8 joins the pieces once, when JSON.parse reads it). */
  out: string;
}

function isSequenceItem(text: string, at: number): boolean {
  if (text.charCodeAt(at) !== DASH) return false;
  const next = text.charCodeAt(at + 1);
  return next === SPACE || next === 0x0a || Number.isNaN(next);
}

/** The mapping or sequence whose entries start the current line, at `column`. */
function readBlock(reader: Reader, column: number, depth: number): void {
  const start = reader.lines.start[reader.at]!;
  if (isSequenceItem(reader.text, start)) readSequence(reader, column, depth);
  else readMapping(reader, column, depth, start);
}

/**
 * A block mapping whose keys are at `column`; its first key starts at offset `first` of the current line (mid-line in
 * `- key: value`), later ones start lines indented to `column`.
 */
function readMapping(reader: Reader, column: number, depth: number, first: number): void {
  if (depth + 1 >= reader.maxDepth) unsupported();
  const { lines, text } = reader;
  const keys = new Set<string>();
  let start = first;
  reader.out += '{';
  for (;;) {
    const end = lines.end[reader.at]!;
    const { key, json, after } = readKey(text, start, end);
    if (keys.has(key) || key === '__proto__') unsupported();
    reader.out += keys.size > 0 ? `,${json}:` : `${json}:`;
    keys.add(key);
    readValue(reader, after, end, column, depth);
    if (reader.at === lines.count || lines.indent[reader.at]! < column) break;
    if (lines.indent[reader.at]! > column || isSequenceItem(text, lines.start[reader.at]!)) unsupported();
    start = lines.start[reader.at]!;
  }
  reader.out += '}';
}

/** A block sequence whose `-` are at `column`. */
function readSequence(reader: Reader, column: number, depth: number): void {
  if (depth + 1 >= reader.maxDepth) unsupported();
  const { lines, text } = reader;
  reader.out += '[';
  for (let count = 0; ; count += 1) {
    if (count > 0) reader.out += ',';
    const end = lines.end[reader.at]!;
    let content = lines.start[reader.at]! + 1;
    while (content < end && text.charCodeAt(content) === SPACE) content += 1;
    const first = text.charCodeAt(content);
    if (content === end) {
      reader.at += 1;
      readNested(reader, column, depth);
    } else if (isSequenceItem(text, content) || first === 0x3f /* ? */ || first === HASH) {
      unsupported();
    } else if (startsMapping(text, content, end)) {
      readMapping(reader, content - (lines.start[reader.at]! - lines.indent[reader.at]!), depth + 1, content);
    } else {
      reader.out += readScalar(text, content, end);
      reader.at += 1;
    }
    if (reader.at === lines.count || lines.indent[reader.at]! < column) break;
    // A line at the dashes' column that is no item ends a sequence sitting at its key's own indentation.
    if (lines.indent[reader.at]! === column && !isSequenceItem(text, lines.start[reader.at]!)) break;
    if (lines.indent[reader.at]! > column) unsupported();
  }
  reader.out += ']';
}

/** A key's value, from offset `after` (past its colon) of the current line: on the rest of the line, or on the lines after. */
function readValue(reader: Reader, after: number, end: number, column: number, depth: number): void {
  const { lines, text } = reader;
  let at = after;
  while (at < end && text.charCodeAt(at) === SPACE) at += 1;
  reader.at += 1;
  if (at < end) {
    if (text.charCodeAt(at) === HASH) unsupported();
    reader.out += readScalar(text, at, end);
    // A more indented line would continue a multi-line scalar (or be an error).
    if (reader.at < lines.count && lines.indent[reader.at]! > column) unsupported();
    return;
  }
  // A sequence may sit at its key's own indentation.
  if (reader.at < lines.count && lines.indent[reader.at]! === column && isSequenceItem(text, lines.start[reader.at]!)) {
    readSequence(reader, column, depth + 1);
    return;
  }
  readNested(reader, column, depth);
}

/** The node on the lines after a key or `-` at `column` with nothing after it: more indented, else null. */
function readNested(reader: Reader, column: number, depth: number): void {
  const { lines } = reader;
  if (reader.at === lines.count || lines.indent[reader.at]! <= column) reader.out += 'null';
  else readBlock(reader, lines.indent[reader.at]!, depth + 1);
}

/** Whether the line holds `key:` (or `key: value`) from offset `at` on. */
function startsMapping(text: string, at: number, end: number): boolean {
  const first = text.charCodeAt(at);
  if (first === SINGLE || first === DOUBLE) {
    const close = first === SINGLE ? closingQuote(text, at, end) : closingDoubleQuote(text, at, end);
    return close !== -1 && text.charCodeAt(close + 1) === COLON && (close + 2 === end || text.charCodeAt(close + 2) === SPACE);
  }
  return separator(text, at, end) !== -1;
}

/** The colon that ends a plain key starting at `at` (followed by a space or the line's end), or -1. */
function separator(text: string, at: number, end: number): number {
  for (let i = text.indexOf(':', at); i !== -1 && i < end; i = text.indexOf(':', i + 1)) {
    if (i + 1 === end || text.charCodeAt(i + 1) === SPACE) return i;
  }
  return -1;
}

/** A key, as a string and as JSON, and the offset past its colon. */
function readKey(text: string, at: number, end: number): { key: string; json: string; after: number } {
  const first = text.charCodeAt(at);
  if (first === SINGLE || first === DOUBLE) {
    const close = first === SINGLE ? closingQuote(text, at, end) : closingDoubleQuote(text, at, end);
    if (close === -1 || text.charCodeAt(close + 1) !== COLON || (close + 2 < end && text.charCodeAt(close + 2) !== SPACE)) unsupported();
    if (first === SINGLE) {
      const key = unquote(text, at, close);
      return { key, json: quote(key), after: close + 2 };
    }
    // Escapes may have made control characters: JSON.stringify writes them back escaped.
    const key = JSON.parse(text.slice(at, close + 1)) as string;
    return { key, json: JSON.stringify(key), after: close + 2 };
  }
  const colon = separator(text, at, end);
  if (colon === -1) unsupported();
  const raw = plain(text, at, colon);
  // A flow collection as a key is not the subset's (js-yaml makes `[]:` the key "").
  if (raw === '[]' || raw === '{}') unsupported();
  // js-yaml reads a key as a scalar, then makes it a string (`200:` is the key "200", `1.0:` the key "1").
  const key = mayResolve(raw) ? String(resolvePlain(raw)) : raw;
  return { key, json: quote(key), after: colon + 1 };
}

/** A scalar that runs from `at` to the line's end, as JSON. */
function readScalar(text: string, at: number, end: number): string {
  const first = text.charCodeAt(at);
  if (first === SINGLE || first === DOUBLE) {
    const close = first === SINGLE ? closingQuote(text, at, end) : closingDoubleQuote(text, at, end);
    if (close === -1) unsupported();
    for (let rest = close + 1; rest < end; rest += 1) if (text.charCodeAt(rest) !== SPACE) unsupported();
    return first === SINGLE ? quote(unquote(text, at, close)) : text.slice(at, close + 1);
  }
  let last = end;
  while (text.charCodeAt(last - 1) === SPACE) last -= 1;
  const raw = plain(text, at, last);
  if (raw === '[]' || raw === '{}') return raw;
  // `a: b` would be a mapping (js-yaml refuses it there); a trailing colon is refused with the scalar.
  if (raw.includes(': ')) unsupported();
  if (!mayResolve(raw)) return quote(raw);
  const value = resolvePlain(raw);
  if (typeof value === 'number' && (!Number.isFinite(value) || Object.is(value, -0))) unsupported();
  return JSON.stringify(value);
}

/**
 * The single-line plain scalar on [at, end) of the subset: no indicator first (`-`, `?` and `:` only before a space),
 * no surrounding spaces, no comment, no trailing colon. `[]` and `{}` are let through for the caller.
 */
function plain(text: string, at: number, end: number): string {
  const raw = text.slice(at, end);
  if (raw.length === 0 || text.charCodeAt(end - 1) === SPACE || raw.includes(' #') || text.charCodeAt(end - 1) === COLON) unsupported();
  const first = raw.charCodeAt(0);
  if ((first === DASH || first === 0x3f || first === COLON) && (raw.length === 1 || raw.charCodeAt(1) === SPACE)) unsupported();
  if (INDICATORS.has(first) && raw !== '[]' && raw !== '{}') unsupported();
  return raw;
}

function resolvePlain(raw: string): unknown {
  for (const type of IMPLICIT) if (type.resolve(raw)) return type.construct(raw);
  return raw;
}

/** A string of the text as JSON: only quotes and backslashes need escaping (the text holds no control characters). */
function quote(value: string): string {
  return value.includes('"') || value.includes('\\') ? JSON.stringify(value) : '"' + value + '"';
}

/** The index of the quote closing the single-quoted scalar opened at `at` on this line (`''` is a quote inside it), or -1. */
function closingQuote(text: string, at: number, end: number): number {
  for (let i = text.indexOf("'", at + 1); i !== -1 && i < end; i = text.indexOf("'", i + 2)) {
    if (text.charCodeAt(i + 1) !== SINGLE) return i;
  }
  return -1;
}

/**
 * The index of the quote closing the double-quoted scalar opened at `at` on this line, when every escape in it is one
 * JSON reads alike, so that the scalar is its own JSON text (YAML has more, `\x41`, `\e`, `\ `, left to js-yaml); else -1.
 */
function closingDoubleQuote(text: string, at: number, end: number): number {
  for (let i = at + 1; i < end; i += 1) {
    const c = text.charCodeAt(i);
    if (c === DOUBLE) return i;
    if (c !== 0x5c /* backslash */) continue;
    const escaped = i + 1 < end ? text.charAt(i + 1) : '';
    if (escaped === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, Math.min(i + 6, end)))) i += 5;
    else if (escaped !== '' && '"\\/bfnrt'.includes(escaped)) i += 1;
    else return -1;
  }
  return -1;
}

function unquote(text: string, open: number, close: number): string {
  const inner = text.slice(open + 1, close);
  return inner.includes("''") ? inner.replaceAll("''", "'") : inner;
}
