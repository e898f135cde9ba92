// Co-access groups: tables one client uses within the same minutes, joined transitively (they should move together).
import type { CoAccessGroup } from './types.js';

export interface CoAccessInput {
  /** Per table key: the (client, minute) buckets it was used in. */
  readonly minutes: ReadonlyMap<string, number>;
  /** Per pair of table keys: the buckets they share. */
  readonly pairs: ReadonlyArray<{ readonly a: string; readonly b: string; readonly shared: number }>;
  readonly minSharedMinutes: number;
  readonly minShare: number;
}

export interface CoAccessResult {
  readonly groups: ReadonlyArray<Omit<CoAccessGroup, 'recommendations'>>;
  /** Table key → group id. */
  readonly groupOf: ReadonlyMap<string, string>;
}

/** A pair is strong when it shares enough buckets, and enough of the less used table's buckets. */
export function coAccessGroups(input: CoAccessInput): CoAccessResult {
  const strong = input.pairs
    .map((p) => {
      const smaller = Math.min(input.minutes.get(p.a) ?? 0, input.minutes.get(p.b) ?? 0);
      return { a: p.a, b: p.b, sharedMinutes: p.shared, share: smaller > 0 ? Math.round((p.shared / smaller) * 1000) / 1000 : 0 };
    })
    .filter((p) => p.sharedMinutes >= input.minSharedMinutes && p.share >= input.minShare);
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let root = x;
    while (parent.has(root) && parent.get(root) !== root) root = parent.get(root)!;
    parent.set(x, root);
    return root;
  };
  for (const p of strong) {
    const [ra, rb] = [find(p.a), find(p.b)];
    if (ra !== rb) parent.set(ra < rb ? rb : ra, ra < rb ? ra : rb);
  }
  const members = new Map<string, string[]>();
  for (const key of parent.keys()) {
    const root = find(key);
    members.set(root, [...(members.get(root) ?? []), key]);
  }
  const sorted = [...members.values()]
    .map((tables) => tables.sort())
    .sort((x, y) => y.length - x.length || x[0]!.localeCompare(y[0]!));
  const groupOf = new Map<string, string>();
  const groups = sorted.map((tables, i) => {
    const id = `g${i + 1}`;
    for (const t of tables) groupOf.set(t, id);
    const inGroup = new Set(tables);
    return {
      id,
      tables,
      pairs: strong.filter((p) => inGroup.has(p.a)).sort((x, y) => y.sharedMinutes - x.sharedMinutes),
    };
  });
  return { groups, groupOf };
}
