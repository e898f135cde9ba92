// Which properties a plan selects, filters and orders on, in API names: what the migration report reads from the audit log.
import type { Resource } from '../openapi/resource.js';
import type { Filter, QueryPlan } from '../query/types.js';

export interface ColumnUsage {
  readonly select: readonly string[];
  readonly filter: readonly string[];
  readonly order: readonly string[];
}

/**
 * Pure: from the plan, never from SQL text. Columns the contract does not expose (none should reach a plan) are
 * left out rather than named in the log. A write's returned columns count as selected (they are read back); its
 * key and filters as filtered on.
 */
export function columnUsage(plan: QueryPlan, resource: Resource): ColumnUsage {
  const name = (column: string): string | undefined => resource.byColumn.get(column)?.name;
  const names = (columns: Iterable<string>): string[] => {
    const out = new Set<string>();
    for (const c of columns) {
      const n = name(c);
      if (n !== undefined) out.add(n);
    }
    return [...out].sort();
  };
  const filtered = (filters: readonly Filter[]): string[] => filters.map((f) => f.column);
  switch (plan.kind) {
    case 'select':
      return { select: names(plan.columns), filter: names(filtered(plan.filters)), order: names(plan.order.map((t) => t.column)) };
    case 'insert':
      return { select: names(plan.returning), filter: [], order: [] };
    case 'update':
    case 'delete':
      return { select: names(plan.returning), filter: names(filtered(plan.filters)), order: [] };
    case 'replace':
      return { select: names(plan.returning), filter: names(Object.keys(plan.key)), order: [] };
  }
}

/** Union of two usages (a request may run more than one plan, e.g. a page and its count). */
export function mergeColumnUsage(a: ColumnUsage | undefined, b: ColumnUsage): ColumnUsage {
  if (!a) return b;
  const union = (x: readonly string[], y: readonly string[]): string[] => [...new Set([...x, ...y])].sort();
  return { select: union(a.select, b.select), filter: union(a.filter, b.filter), order: union(a.order, b.order) };
}
