// API names for database identifiers: case style, transliteration, unsafe and reserved names, collisions — deterministic.
import anyAscii from 'any-ascii';
import { camelCase, kebabCase, pascalCase, snakeCase } from 'change-case';
import { RESERVED_PARAMS } from '../query/parse-read.js';

export type NamingStyle = 'camel' | 'snake';

/** Why a name is not simply the database name in the chosen case style. */
export type RenameReason = 'transliterated' | 'unsafe' | 'reserved' | 'collision';

export interface Rename {
  /** The database identifier. */
  readonly from: string;
  /** The name the document uses. */
  readonly to: string;
  readonly reasons: readonly RenameReason[];
}

export interface AssignedNames {
  /** One name per input, in input order. */
  readonly names: readonly string[];
  /** Names that needed more than a change of case, for the init report. */
  readonly renames: readonly Rename[];
}

/** Paths the gateway serves itself (now or in its planned routes): a table cannot take them. */
const GATEWAY_SEGMENTS = new Set(['healthz', 'readyz', 'livez', 'metrics', 'docs', 'openapi', 'openapi.json', 'audit', 'reports']);
/** Component names the generated document defines itself. */
const OWN_SCHEMAS = new Set(['Problem']);

const SAFE_PROPERTY = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface Candidate {
  readonly from: string;
  readonly base: string;
  readonly reasons: RenameReason[];
}

/**
 * Property names for a relation's columns. Rule: transliterate to ASCII (any-ascii: `Straße` → `strasse`,
 * `名前` → `mingQian`), convert to camelCase or snake_case, prefix a name that would start with a digit (`col…`),
 * suffix one that a query parameter already uses (`order` → `orderColumn`), name an empty result after its position
 * (`column3`), and settle collisions by number (`orderDate`, `orderDate2`): a column whose database name is already
 * the API name keeps it, the others follow in column order.
 */
export function propertyNames(columns: readonly string[], style: NamingStyle): AssignedNames {
  const candidates = columns.map((from, index): Candidate => {
    const reasons: RenameReason[] = [];
    if (!isAscii(from)) reasons.push('transliterated');
    let base = convert(anyAscii(from), style);
    if (base === '') {
      reasons.push('unsafe');
      base = style === 'camel' ? `column${index + 1}` : `column_${index + 1}`;
    } else if (!SAFE_PROPERTY.test(base)) {
      reasons.push('unsafe');
      base = style === 'camel' ? `col${base.charAt(0).toUpperCase()}${base.slice(1)}` : `col_${base}`;
    }
    if (RESERVED_PARAMS.has(base)) {
      reasons.push('reserved');
      base = style === 'camel' ? `${base}Column` : `${base}_column`;
    }
    return { from, base, reasons };
  });
  return settle(candidates, (name, n) => (style === 'camel' ? `${name}${n}` : `${name}_${n}`));
}

/** Path segments (`/cust-mstr`): kebab-case ASCII; the gateway's own paths and collisions take a suffix. */
export function resourceNames(relations: ReadonlyArray<{ readonly name: string; readonly prefix?: string }>): AssignedNames {
  const candidates = relations.map((r, index): Candidate => {
    const reasons: RenameReason[] = [];
    const full = r.prefix ? `${r.prefix} ${r.name}` : r.name;
    if (!isAscii(full)) reasons.push('transliterated');
    let base = kebabCase(anyAscii(full)).replace(/[^a-z0-9-]/gi, '').toLowerCase();
    if (base === '') {
      reasons.push('unsafe');
      base = `table-${index + 1}`;
    }
    if (GATEWAY_SEGMENTS.has(base)) {
      reasons.push('reserved');
      base = `${base}-table`;
    }
    return { from: r.prefix ? `${r.prefix}.${r.name}` : r.name, base, reasons };
  });
  return settle(candidates, (name, n) => `${name}-${n}`);
}

/** Entity schema names under components.schemas (PascalCase ASCII); collisions take a number. */
export function entityNames(relations: ReadonlyArray<{ readonly name: string; readonly prefix?: string }>): AssignedNames {
  const candidates = relations.map((r, index): Candidate => {
    const reasons: RenameReason[] = [];
    const full = r.prefix ? `${r.prefix} ${r.name}` : r.name;
    let base = pascalCase(anyAscii(full), { mergeAmbiguousCharacters: true }).replace(/[^A-Za-z0-9]/g, '');
    if (base === '') base = `Table${index + 1}`;
    else if (/^\d/.test(base)) base = `Table${base}`;
    if (OWN_SCHEMAS.has(base)) {
      reasons.push('reserved');
      base = `${base}Row`;
    }
    return { from: r.prefix ? `${r.prefix}.${r.name}` : r.name, base, reasons };
  });
  return settle(candidates, (name, n) => `${name}${n}`);
}

function convert(ascii: string, style: NamingStyle): string {
  return style === 'camel' ? camelCase(ascii, { mergeAmbiguousCharacters: true }) : snakeCase(ascii);
}

function isAscii(text: string): boolean {
  return /^[\x20-\x7e]*$/.test(text);
}

/**
 * Unique names: candidates whose database name equals their base claim it first, then the rest in input order;
 * a taken name gets the lowest free number from 2 up.
 */
function settle(candidates: readonly Candidate[], numbered: (name: string, n: number) => string): AssignedNames {
  const names: string[] = new Array<string>(candidates.length);
  const taken = new Set<string>();
  const order = [
    ...candidates.map((c, i) => [c, i] as const).filter(([c]) => c.from === c.base),
    ...candidates.map((c, i) => [c, i] as const).filter(([c]) => c.from !== c.base),
  ];
  for (const [candidate, index] of order) {
    let name = candidate.base;
    if (taken.has(name.toLowerCase())) {
      let n = 2;
      while (taken.has(numbered(candidate.base, n).toLowerCase())) n += 1;
      name = numbered(candidate.base, n);
      candidate.reasons.push('collision');
    }
    // Case-insensitively unique: `orderDate` and `OrderDate` would be one field to many client generators.
    taken.add(name.toLowerCase());
    names[index] = name;
  }
  const renames = candidates
    .map((c, i) => ({ from: c.from, to: names[i]!, reasons: c.reasons }))
    .filter((r) => r.reasons.length > 0);
  return { names, renames };
}
