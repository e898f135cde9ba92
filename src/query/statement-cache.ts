// Prepared SQL per statement shape: knex builds each shape once; later requests of that shape only bind values.
// A shape may take several statements on some databases (an upsert on SQL Server); each is prepared alike.
//
// A shape is a StatementSpec with every value replaced by a numbered placeholder. Building the placeholder spec
// through knex gives the statement text and, in the bindings knex produced, where each placeholder went; a request
// then binds its own values in that order. What changes the SQL (a null compared, an `is` test, which columns an
// insert names, a list's length) stays in the shape, so two requests share a text only when their SQL is the same.
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { LRUCache } from 'lru-cache';
import type { Dialect } from '../db/dialects/types.js';
import { buildStatements, type StatementSpec } from './statements.js';
import type { DbRow, Filter, Keyset } from './types.js';

/** A statement ready for the driver: its text, values in placeholder order, and a name when worth preparing. */
export interface BoundStatement {
  readonly text: string;
  readonly values: readonly unknown[];
  /** Set for shapes used often: the driver prepares it once per connection (PostgreSQL named statements). */
  readonly name: string | undefined;
}

/** The statements of one spec, bound: run in order, in one transaction when `atomic`. */
export interface BoundGroup {
  readonly statements: readonly BoundStatement[];
  readonly atomic: boolean;
}

interface Template {
  readonly text: string;
  /** For each bound position: the placeholder's index among the request's values, or a constant knex bound. */
  readonly positions: ReadonlyArray<number | { readonly constant: unknown }>;
  name: string | undefined;
}

interface GroupTemplate {
  readonly templates: readonly Template[];
  readonly atomic: boolean;
  uses: number;
}

export interface StatementCacheOptions {
  /** Shapes kept (least recently used ones are rebuilt when needed again). */
  readonly maxShapes?: number;
  /** Shapes given a prepared-statement name, so a connection never holds more than this many. */
  readonly maxNamed?: number;
  /** Uses before a shape is prepared (a one-off shape is not worth a server-side statement). */
  readonly prepareAfter?: number;
}

export interface StatementCache {
  bind(spec: StatementSpec): BoundGroup;
}

// Strings knex passes through untouched, and that no request value can equal (they hold control characters
// and a per-process nonce). Numbers are needed where knex insists on one (limit, offset).
const NONCE = createHash('sha256').update(String(process.hrtime.bigint())).digest('hex').slice(0, 8);
const TEXT_MARK = `\u0001gh${NONCE}:`;
const NUMBER_BASE = 1_999_000_000;

export function createStatementCache(db: Knex, dialect: Dialect, options: StatementCacheOptions = {}): StatementCache {
  const maxNamed = options.maxNamed ?? 256;
  const prepareAfter = options.prepareAfter ?? 2;
  const groups = new LRUCache<string, GroupTemplate>({ max: options.maxShapes ?? 1000 });
  let named = 0;
  let nextName = 0;
  return {
    bind(spec) {
      const values: unknown[] = [];
      const shape = parameterize(spec, values);
      const key = JSON.stringify(shape);
      let group = groups.get(key);
      if (group === undefined) {
        group = compile(db, dialect, shape, values.length);
        groups.set(key, group);
      }
      group.uses += 1;
      if (group.uses >= prepareAfter) {
        for (const template of group.templates) {
          if (template.name !== undefined || named >= maxNamed) continue;
          named += 1;
          template.name = `gatehouse_q${(nextName++).toString(36)}`;
        }
      }
      return { statements: group.templates.map((template) => bindTemplate(template, values)), atomic: group.atomic };
    },
  };
}

function bindTemplate(template: Template, values: readonly unknown[]): BoundStatement {
  const bound = new Array<unknown>(template.positions.length);
  for (let i = 0; i < bound.length; i++) {
    const p = template.positions[i]!;
    bound[i] = typeof p === 'number' ? values[p] : p.constant;
  }
  return { text: template.text, values: bound, name: template.name };
}

function compile(db: Knex, dialect: Dialect, shape: StatementSpec, slots: number): GroupTemplate {
  const group = buildStatements(db, dialect, shape);
  const templates = group.statements.map((statement): Template => {
    const native = statement.toSQL().toNative();
    const positions = native.bindings.map((b): number | { constant: unknown } => {
      if (typeof b === 'string' && b.startsWith(TEXT_MARK)) return Number(b.slice(TEXT_MARK.length));
      if (typeof b === 'number' && b >= NUMBER_BASE && b < NUMBER_BASE + slots) return b - NUMBER_BASE;
      return { constant: b };
    });
    return { text: native.sql, positions, name: undefined };
  });
  return { templates, atomic: group.atomic, uses: 0 };
}

/** The spec's shape: each value moved to `values` and replaced by its placeholder. */
function parameterize(spec: StatementSpec, values: unknown[]): StatementSpec {
  const text = (value: unknown): string => `${TEXT_MARK}${values.push(value) - 1}`;
  const number = (value: number | undefined): number | undefined => (value === undefined ? undefined : NUMBER_BASE + values.push(value) - 1);
  const row = (r: DbRow): DbRow => {
    const out: DbRow = {};
    for (const column in r) if (r[column] !== undefined) out[column] = text(r[column]);
    return out;
  };
  const filters = (list: readonly Filter[]): Filter[] =>
    list.map((f): Filter => {
      if (f.op === 'in') return { ...f, values: f.values.map(text) };
      // A row rule through another table: its own filters bind values too (the subquery's shape stays in the key).
      if (f.op === 'inSubquery') return { ...f, subquery: { ...f.subquery, filters: filters(f.subquery.filters) } };
      if (f.op === 'is' || f.value === null) return f;
      return { ...f, value: text(f.value) };
    });
  const keyset = (k: Keyset | undefined): Keyset | undefined =>
    k === undefined ? undefined : { terms: k.terms, values: k.values.map((v) => (v === null ? null : text(v))) };
  switch (spec.kind) {
    case 'select':
      return {
        ...spec,
        filters: filters(spec.filters),
        after: keyset(spec.after),
        limit: number(spec.limit),
        offset: number(spec.offset),
      };
    case 'count':
      return { ...spec, filters: filters(spec.filters) };
    case 'update':
      return { ...spec, set: row(spec.set), filters: filters(spec.filters) };
    case 'delete':
      return { ...spec, filters: filters(spec.filters) };
    case 'insert':
      return { ...spec, rows: spec.rows.map(row) };
    case 'countKeys':
    case 'lockKeys':
      return { ...spec, rows: spec.rows.map(row), filters: filters(spec.filters) };
    case 'countCandidates':
      return { ...spec, candidates: text(spec.candidates), filters: filters(spec.filters) };
  }
}
