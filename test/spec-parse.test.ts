// Reading the contract's bytes: a block YAML document read a piece at a time must give exactly what js-yaml gives for
// the whole text (or js-yaml's own error), whatever the document holds; JSON goes through JSON.parse.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { dump } from 'js-yaml';
import { CORE_SCHEMA, load } from 'js-yaml-v4';
import YAML from 'yaml';
import { SpecError } from '../src/errors/app-error.js';
import { loadSpecFile } from '../src/openapi/load-spec.js';
import { parseContract, readInPieces, type PieceSizes } from '../src/openapi/parse-contract.js';
import { readContractAhead } from '../src/openapi/contract-read-ahead.js';
import { blockYamlToJson } from '../src/openapi/yaml-block-json.js';
import { ERP_SPEC, projectRoot } from './support/project.js';

/** Every entry read on its own and every mapping split: the most pieces a document can be cut into. */
const SMALLEST: PieceSizes = { splitBytes: 0, pieceBytes: 0 };
const SIZES: readonly PieceSizes[] = [SMALLEST, { splitBytes: 40, pieceBytes: 20 }, { splitBytes: 200, pieceBytes: 100 }];

function whole(text: string): unknown {
  return load(text, { schema: CORE_SCHEMA });
}

/** What the whole text gives: its document, or its error message. */
function expected(text: string): { document: unknown } | { error: string } {
  try {
    return { document: whole(text) };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

function assertSameAsWhole(text: string): void {
  const want = expected(text);
  for (const sizes of SIZES) {
    let got: { document: unknown } | { error: string };
    try {
      got = { document: parseContract(Buffer.from(text), sizes) };
    } catch (err) {
      got = { error: (err as Error).message };
    }
    assert.deepEqual(got, want, `read in pieces of ${JSON.stringify(sizes)}:\n${text}`);
  }
}

const TRICKY: Readonly<Record<string, string>> = {
  'a block sequence at its key’s own indentation': 'tags:\n- a\n- b\npaths:\n  /a:\n    tags:\n    - x\n    get: {}\n  /b:\n    x: 1\n',
  'comments and blank lines between and inside entries': '# head\n\npaths:\n  # a comment\n\n  /a:\n    x: 1 # trailing\n# at column 0\n  /b:\n\n    y: 2\n',
  'a double-quoted scalar continued on a line at the entries’ indentation': 'paths:\n  /a:\n    d: "foo\n  /b: 1"\n  /c: 2\n',
  'a double-quoted scalar continued at column 0': 'a: "foo\nbar"\nb: 1\n',
  'a single-quoted scalar continued at the entries’ indentation': "paths:\n  /a: 'x\n  /b: y'\n  /c: 1\n",
  'a flow sequence over several lines': 'paths:\n  /a: [1,\n  2]\n  /b: {x: 1,\n    y: 2}\n',
  'block scalars, kept and folded': 'info:\n  description: |\n    line one\n\n    # not a comment\n  summary: >-\n    folded\n    text\npaths:\n  /a:\n    description: |+\n      kept\n\n  /b: 1\n',
  'an alias to an anchor of another entry': 'components:\n  schemas:\n    A: &a\n      type: string\n    B: *a\n',
  'an alias to an anchor of the same entry': 'components:\n  schemas:\n    A:\n      x: &a\n        type: string\n      y: *a\n',
  'an anchor on a mapping that is split': 'paths: &p\n  /a: 1\n  /b: 2\nagain: *p\n',
  'a key given twice in different entries': 'paths:\n  /a: 1\n  /b: 2\n  /a: 3\n',
  'a top-level key given twice': 'a: 1\nb: 2\na: 3\n',
  'a __proto__ key': 'paths:\n  __proto__:\n    x: 1\n  /a: 2\n',
  'quoted and special keys': 'paths:\n  "/a b":\n    x: 1\n  \'/c\':\n    y: 2\n  ? complex\n  : value\n  123: number\n  true: bool\n  null: nothing\n',
  'numbers JSON cannot carry': 'a:\n  inf: .inf\n  ninf: -.inf\n  nan: .NaN\n  negzero: -0\n  big: 1e400\n  hex: 0x1F\n  oct: 0o17\nb: 2\n',
  'CRLF line ends': 'paths:\r\n  /a:\r\n    x: 1\r\n  /b:\r\n    y: "two\r\n  words"\r\n',
  'a tab in the indentation': 'paths:\n  /a:\n\tx: 1\n',
  'an entry indented less than the first': 'paths:\n    /a: 1\n  /b: 2\n',
  'an entry indented more than the first': 'paths:\n  /a:\n    x: 1\n   /b: 2\n',
  'a plain scalar continued at the entries’ indentation': 'paths:\n  /a:\n    d: foo\n  bar\n  /b: 1\n',
  'a document start marker': '---\npaths:\n  /a: 1\n',
  'two documents': 'a: 1\n---\nb: 2\n',
  'a directive': '%YAML 1.2\n---\na: 1\n',
  'a document end marker': 'a: 1\n...\n',
  'an indented top-level mapping': '  a: 1\n  b: 2\n',
  'a top-level sequence': '- a\n- b\n',
  'a top-level scalar': 'just text\n',
  'a byte-order mark': '\uFEFFopenapi: 3.1.0\npaths:\n  /a: 1\n  /b: 2\n',
  'a byte-order mark starting a later line': 'a: 1\npaths:\n  /a: 1\n\uFEFF  /b: 2\n\uFEFFc: 3\n',
  'an empty document': '',
  'only comments': '# nothing\n',
  'flow style YAML starting with a brace': '{a: 1, b: [x, y]}\n',
  'non-ASCII text': 'info:\n  title: Gatehouse — “legacy” ERP\npaths:\n  /kunden:\n    description: Größe ✓ 東京\n  /b: é\n',
  'explicit tags': 'a: !!str 123\nb:\n  c: !!float 1\n  d: !!null ""\n',
  'an unknown tag': 'a:\n  b: !custom x\n',
  'no newline at the end': 'paths:\n  /a: 1\n  /b: 2',
  'a key line with a comment': 'paths: # all of them\n  /a: 1\n  /b: 2\n',
  'a key with its value on the same line': 'paths: {}\nother:\n  x: 1\n',
  'deep nesting near the limit': `root:\n${Array.from({ length: 98 }, (_, i) => `${' '.repeat(2 * (i + 1))}k${i}:`).join('\n')} leaf\n`,
  'nesting past the limit': `root:\n${Array.from({ length: 101 }, (_, i) => `${' '.repeat(2 * (i + 1))}k${i}:`).join('\n')} leaf\n`,
};

describe('reading the contract in pieces', () => {
  for (const [name, text] of Object.entries(TRICKY)) {
    it(`when the document has ${name}, then it reads as the whole text reads`, () => assertSameAsWhole(text));
  }

  it('when the shipped contracts and fixtures are read in pieces, then each is read that way and equals the whole text', async () => {
    for (const file of [ERP_SPEC, path.join(projectRoot, 'test', 'fixtures', 'chinook.yaml'), path.join(projectRoot, 'test', 'fixtures', 'chinook-mssql.yaml')]) {
      const text = await readFile(file, 'utf8');
      for (const sizes of SIZES) assert.deepEqual(readInPieces(Buffer.from(text), sizes), whole(text), `${file} in pieces of ${JSON.stringify(sizes)}`);
    }
  });

  it('when a large contract is read with the default sizes, then it equals the whole text', async () => {
    const erp = await readFile(ERP_SPEC, 'utf8');
    // The ERP contract's paths repeated under new names until the document is well past the split size.
    const doc = whole(erp) as { paths: Record<string, unknown> };
    const paths: Record<string, unknown> = {};
    for (let copy = 0; copy < 60; copy += 1) for (const [p, item] of Object.entries(doc.paths)) paths[`/c${copy}${p}`] = item;
    const text = YAML.stringify({ ...doc, paths }, { aliasDuplicateObjects: false });
    assert.ok(Buffer.byteLength(text) > 1024 * 1024, 'the document is larger than the split size');
    assert.deepEqual(readInPieces(Buffer.from(text)), whole(text));
  });

  it('when the contract is JSON, then JSON.parse reads it', () => {
    assert.deepEqual(parseContract(Buffer.from(' {"openapi": "3.1.0", "paths": {"/a": {"x": [1, 2]}}}')), { openapi: '3.1.0', paths: { '/a': { x: [1, 2] } } });
  });
});

/** The fast path says nothing, or exactly what js-yaml says; where js-yaml refuses the text, it says nothing. */
function assertFastPathAgrees(text: string): void {
  const json = blockYamlToJson(text);
  if (json === undefined) return;
  const want = expected(text);
  assert.ok('document' in want, `js-yaml refuses this text, but the fast path read it as ${json}:\n${text}`);
  assert.deepEqual(JSON.parse(json), want.document, text);
}

/** A small deterministic generator (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ['id', 'name', '200', '4XX', '-1', '0x1F', '1e3', '.5', '-.inf', '.NaN', 'null', '~', 'True', 'FALSE', 'yes', 'a: b', 'a:b', 'x #y', 'x#y',
  "it's", '"q"', '- a', '-a', '? k', ':x', '#c', '&a', '*a', '!t', '|', '>', '[1]', '{}', '[]', '', ' lead', 'trail ', 'ü €', '東京', '%p', '@x', '`b`', '0', '00', '+1', '1_000', '0o17', '12:30'];

function randomValue(next: () => number, depth: number): unknown {
  const pick = next();
  if (depth > 3 || pick < 0.45) {
    const kind = Math.floor(next() * 5);
    if (kind === 0) return Math.floor(next() * 2000) - 1000;
    if (kind === 1) return next() < 0.5;
    if (kind === 2) return null;
    return WORDS[Math.floor(next() * WORDS.length)]!;
  }
  if (pick < 0.7) return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
  return Object.fromEntries(Array.from({ length: Math.floor(next() * 5) }, () => [WORDS[Math.floor(next() * WORDS.length)]!, randomValue(next, depth + 1)]));
}

describe('the fast path for plain block YAML', () => {
  it('when the contract is what gatehouse init writes, then its paths and schemas take the fast path', async () => {
    const text = await readFile(ERP_SPEC, 'utf8');
    const doc = whole(text) as { paths: Record<string, unknown>; components: { schemas: Record<string, unknown> } };
    // As init writes a document (src/init/serialize-document.ts).
    const piece = dump({ paths: doc.paths, components: { schemas: doc.components.schemas } }, { noRefs: true, lineWidth: -1 });
    const json = blockYamlToJson(piece);
    assert.ok(json !== undefined, 'the generated paths and schemas are in the plain subset');
    assert.deepEqual(JSON.parse(json), whole(piece));
  });

  it('when the document has tricky constructs, then the fast path says nothing or what js-yaml says', () => {
    for (const text of Object.values(TRICKY)) assertFastPathAgrees(text);
  });

  it('when random documents are written by the yaml package, then the fast path reads them as js-yaml does', () => {
    const next = random(17);
    let read = 0;
    for (let round = 0; round < 3000; round += 1) {
      const value = { root: randomValue(next, 0), other: randomValue(next, 0) };
      const text = next() < 0.5 ? YAML.stringify(value, { indentSeq: next() < 0.5, indent: next() < 0.7 ? 2 : 4 }) : dump(value, { noRefs: true, lineWidth: -1 });
      assertFastPathAgrees(text);
      if (blockYamlToJson(text) !== undefined) read += 1;
    }
    assert.ok(read > 2000, `the fast path read ${read} of 3000 documents`);
  });

  it('when documents are damaged at random, then the fast path never reads one differently from js-yaml', () => {
    const next = random(29);
    const inserts = [':', ': ', ' #', '#', "'", "''", '-', '- ', ' ', '  ', '\n', '\n  ', '\n- ', 'x: ', '[', '{', '&a ', '*a', '!', '|', '"', '\\', '\\x41', '\\u00e9', '?', '\r', '\t'];
    for (let round = 0; round < Number(process.env.FUZZ_ROUNDS ?? 4000); round += 1) {
      const value = { root: randomValue(next, 0) };
      const text = next() < 0.5 ? YAML.stringify(value) : dump(value, { noRefs: true, lineWidth: -1 });
      let damaged = text;
      for (let k = 0; k < 1 + Math.floor(next() * 3); k += 1) {
        const at = Math.floor(next() * (damaged.length + 1));
        const cut = next() < 0.3 ? 1 : 0;
        damaged = damaged.slice(0, at) + inserts[Math.floor(next() * inserts.length)]! + damaged.slice(at + cut);
      }
      assertFastPathAgrees(damaged);
    }
  });
});

describe('the contract read on a worker thread while the gateway loads', () => {
  it('when the contract is large block YAML, then the worker gives the document and hash the gateway would read', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-ahead-'));
    try {
      const erp = whole(await readFile(ERP_SPEC, 'utf8')) as { paths: Record<string, unknown> };
      const paths: Record<string, unknown> = {};
      for (let copy = 0; copy < 60; copy += 1) for (const [p, item] of Object.entries(erp.paths)) paths[`/c${copy}${p}`] = item;
      const text = dump({ ...erp, paths }, { noRefs: true, lineWidth: -1 });
      const file = path.join(dir, 'contract.yaml');
      await writeFile(file, text);
      const read = await readContractAhead(file);
      assert.ok(read, 'the worker read the contract');
      assert.deepEqual(read.document, whole(text));
      assert.equal(read.sha256, createHash('sha256').update(text).digest('hex'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('when the contract is JSON, broken, has a key twice or is missing, then the worker leaves it to the gateway', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-ahead-'));
    try {
      const cases = {
        'json.yaml': '{"openapi": "3.1.0"}',
        'broken.yaml': 'openapi: 3.1.0\npaths:\n  /a:\n    get: [unclosed\n',
        'twice.yaml': 'openapi: 3.1.0\npaths:\n  /a: {}\n  /b: {}\n  /a: {}\n',
      };
      for (const [name, text] of Object.entries(cases)) {
        await writeFile(path.join(dir, name), text);
        assert.equal(await readContractAhead(path.join(dir, name)), undefined, name);
      }
      assert.equal(await readContractAhead(path.join(dir, 'missing.yaml')), undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a contract file that is not YAML', () => {
  it('when a piece of it is broken, then start-up names the file and js-yaml’s error for the whole text', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'gatehouse-parse-'));
    try {
      const file = path.join(dir, 'contract.yaml');
      const fine = Array.from({ length: 20_000 }, (_, i) => `  /ok${i}:\n    get: {}\n`).join('');
      const text = `openapi: 3.1.0\npaths:\n${fine}  /broken:\n    get: [unclosed\n`;
      await writeFile(file, text);
      const message = (() => {
        try {
          whole(text);
        } catch (err) {
          return (err as Error).message;
        }
        return assert.fail('js-yaml accepted the broken text');
      })();
      await assert.rejects(loadSpecFile(file), (err: unknown) => {
        assert.ok(err instanceof SpecError);
        assert.deepEqual(err.problems, [`${file} is neither YAML nor JSON: ${message}`]);
        return true;
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
