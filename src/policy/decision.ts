// The outcome of authorization for one request: what the caller may see, write and touch. Pure data.
import type { MaskMode } from '../config/types.js';
import type { Resource } from '../openapi/resource.js';
import type { Filter } from '../query/types.js';

export interface Decision {
  /** API property names the caller may read (and select, filter and order by). */
  readonly visible: ReadonlySet<string>;
  /** Visible names the caller may also filter and order by (masked columns are not: filters would unmask them). */
  readonly filterable: ReadonlySet<string>;
  /** Masking of visible columns in responses. */
  readonly masks: ReadonlyMap<string, MaskMode>;
  /** API property names the caller may set in a write. */
  readonly writable: ReadonlySet<string>;
  /** Row restrictions (API names, values already bound), applied to SELECT, UPDATE and DELETE alike. */
  readonly rowFilters: readonly Filter[];
  /** Values forced on insert (API names). */
  readonly forced: Readonly<Record<string, unknown>>;
  /** A rule's own cap on rows changed by one collection write. */
  readonly maxAffected: number | undefined;
  /** The rule that allowed the request (recorded in logs and audit). */
  readonly rule: string | undefined;
  /** A list may stream every matching row (`limit=all` on NDJSON / CSV). */
  readonly exportAll: boolean;
}

/** The part of a Decision that depends only on the rule and the resource, not on the caller. */
export type ColumnGrant = Pick<Decision, 'visible' | 'filterable' | 'masks' | 'writable'>;

/** Everything the document exposes, for deployments without policies (the demo, tests of the CRUD core). */
export function allowEverything(resource: Resource): Decision {
  const names = new Set(resource.columns.keys());
  const writable = new Set([...resource.columns.values()].filter((c) => !c.readOnly).map((c) => c.name));
  return {
    visible: names,
    filterable: names,
    masks: new Map(),
    writable,
    rowFilters: [],
    forced: {},
    maxAffected: undefined,
    rule: undefined,
    exportAll: true,
  };
}
