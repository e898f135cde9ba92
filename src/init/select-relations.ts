// --include / --exclude globs over introspected relations (matched against `name` and `schema.name`, ignoring case).
import picomatch from 'picomatch';
import type { DbRelation } from '../db/catalog.js';

export interface RelationFilter {
  /** Keep only relations matching one of these (all when empty). */
  readonly include?: readonly string[];
  /** Then drop relations matching one of these. */
  readonly exclude?: readonly string[];
}

export interface SelectedRelations {
  readonly selected: readonly DbRelation[];
  readonly excluded: readonly DbRelation[];
  /** Include patterns that matched nothing (likely typos, worth reporting). */
  readonly unmatchedIncludes: readonly string[];
}

export function selectRelations(relations: readonly DbRelation[], filter: RelationFilter): SelectedRelations {
  // Case-insensitive: DBAs write `cust_*` for `CUST_MSTR`; dots are literal, so `public.*` selects one schema.
  const compile = (pattern: string) => picomatch(pattern, { nocase: true, dot: true });
  const includes = (filter.include ?? []).map((p) => ({ pattern: p, match: compile(p) }));
  const excludes = (filter.exclude ?? []).map(compile);
  const names = (r: DbRelation): string[] => [r.name, `${r.schema}.${r.name}`];
  const used = new Set<string>();
  const selected: DbRelation[] = [];
  const excluded: DbRelation[] = [];
  for (const relation of relations) {
    const hit = includes.filter((i) => names(relation).some((n) => i.match(n)));
    for (const h of hit) used.add(h.pattern);
    const included = includes.length === 0 || hit.length > 0;
    const dropped = excludes.some((match) => names(relation).some((n) => match(n)));
    if (included && !dropped) selected.push(relation);
    else excluded.push(relation);
  }
  return { selected, excluded, unmatchedIncludes: includes.map((i) => i.pattern).filter((p) => !used.has(p)) };
}
