// Which bound values must be masked in the audit log: those a plan takes from, or compares with, pii / confidential columns.
import type { Resource } from '../openapi/resource.js';
import type { Filter, QueryPlan } from '../query/types.js';
import { toJsonValue } from './json-value.js';

export const MASKED_CLASSIFICATIONS: ReadonlySet<string> = new Set(['pii', 'confidential']);

/** A value's identity for masking: its JSON form, so a value and its bound form (Date → ISO text) compare equal. */
export function maskKey(value: unknown): string {
  const json = toJsonValue(value);
  return typeof json === 'object' && json !== null ? JSON.stringify(json) : String(json);
}

/**
 * Values bound to classified columns by this plan, by database column name. Knex does not say which binding
 * belongs to which column, so bindings are masked by value: a coincidentally equal value elsewhere is masked
 * too, which errs on the side of the data subject.
 */
export function sensitiveValues(plan: QueryPlan, resource: Resource | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!resource) return out;
  const classOf = (column: string): string | undefined => {
    const c = resource.byColumn.get(column)?.classification;
    return c !== undefined && MASKED_CLASSIFICATIONS.has(c) ? c : undefined;
  };
  const add = (column: string, value: unknown): void => {
    const cls = classOf(column);
    if (cls === undefined || value === null || value === undefined) return;
    out.set(maskKey(value), cls);
  };
  const addRow = (row: Readonly<Record<string, unknown>>): void => {
    for (const [column, value] of Object.entries(row)) add(column, value);
  };
  const addFilters = (filters: readonly Filter[], classify = classOf): void => {
    for (const f of filters) {
      const cls = classify(f.column);
      const put = (value: unknown): void => {
        if (cls !== undefined && value !== null && value !== undefined) out.set(maskKey(value), cls);
      };
      if (f.op === 'in') f.values.forEach(put);
      else if (f.op === 'inSubquery') {
        // A row rule through another table: its filters bind values of that table's columns.
        const theirs = f.subquery.classifications;
        addFilters(f.subquery.filters, (column) => (MASKED_CLASSIFICATIONS.has(theirs[column] ?? '') ? theirs[column] : undefined));
      } else if (f.op !== 'is') put(f.value);
    }
  };
  switch (plan.kind) {
    case 'select':
      addFilters(plan.filters);
      plan.after?.terms.forEach((t, i) => add(t.column, plan.after?.values[i]));
      break;
    case 'insert':
      plan.rows.forEach(addRow);
      break;
    case 'update':
      addRow(plan.set);
      addFilters(plan.filters);
      break;
    case 'replace':
      addRow(plan.set);
      addRow(plan.key);
      break;
    case 'delete':
      addFilters(plan.filters);
      break;
  }
  // Row checks and other planner additions carry filters too; mask whatever they bind.
  const extra = (plan as { check?: { filters?: readonly Filter[] } }).check?.filters;
  if (extra) addFilters(extra);
  return out;
}
