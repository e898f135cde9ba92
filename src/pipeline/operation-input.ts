// What the validate stage hands the planner: one operation's query and body, parsed and checked, in API names.
import type { Filter, FilterValue, Preferences, ReadRequest } from '../query/types.js';

/** The answer formats of a list (and of an export). */
export type RowFormat = 'application/json' | 'application/x-ndjson' | 'text/csv';

interface Common {
  readonly prefs: Preferences;
  /** Properties to put in the answer (`select`, else every visible one). */
  readonly select: readonly string[];
}

export type OperationInput =
  | (Common & {
      readonly kind: 'list';
      readonly read: ReadRequest;
      readonly format: RowFormat;
      /** `limit=all` on NDJSON / CSV: every matching row, streamed. */
      readonly all: boolean;
    })
  | (Common & { readonly kind: 'read'; readonly key: readonly FilterValue[] })
  | (Common & { readonly kind: 'create'; readonly rows: readonly Record<string, unknown>[]; readonly bulk: boolean })
  | (Common & { readonly kind: 'update'; readonly body: Record<string, unknown>; readonly filters: readonly Filter[] })
  | (Common & { readonly kind: 'replace'; readonly key: readonly FilterValue[]; readonly body: Record<string, unknown> })
  | (Common & { readonly kind: 'delete'; readonly filters: readonly Filter[] })
  | (Common & {
      readonly kind: 'updateMany';
      readonly body: Record<string, unknown>;
      readonly filters: readonly Filter[];
      readonly maxAffected: number;
    })
  | (Common & { readonly kind: 'deleteMany'; readonly filters: readonly Filter[]; readonly maxAffected: number });
