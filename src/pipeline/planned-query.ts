// What the plan stage hands the executor and the response: the plan, and for lists the paging it implies.
import type { ListPlan, SelectPlan } from '../query/plan.js';
import type { QueryPlan } from '../query/types.js';

export type PlannedQuery =
  | { readonly kind: 'list'; readonly plan: QueryPlan; readonly list: ListPlan }
  /** `limit=all`: the first batch's statement; the executor pages on by keyset over `list.order` until a batch runs short. */
  | { readonly kind: 'export'; readonly plan: SelectPlan; readonly list: ListPlan }
  | {
      readonly kind: 'rows';
      readonly plan: QueryPlan;
      /** API names the rows come back with (the representation, else the key). */
      readonly returning: readonly string[];
    };
