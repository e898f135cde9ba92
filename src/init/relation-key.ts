// Which columns identify a relation's rows in the generated binding: primary key, else a unique key, else none.
import type { DbColumn, DbRelation } from '../db/catalog.js';
import { mapColumn } from './type-mapping.js';

export type RelationKey =
  /** Identifies one row: the relation gets an item path. */
  | { readonly kind: 'primary' | 'unique'; readonly columns: readonly string[] }
  /**
   * Nothing identifies a row. The binding still names columns, because lists order by the key for stable pages
   * and cursors; these are every column that can be ordered. No item path is generated.
   */
  | { readonly kind: 'ordering'; readonly columns: readonly string[] }
  /** Not even an ordering key (every column is json or of an unorderable type): the relation is left out. */
  | { readonly kind: 'none'; readonly columns: readonly [] };

/** Types without a default b-tree ordering in PostgreSQL: ORDER BY on them fails. */
const UNORDERABLE = new Set(['json', 'xml', 'point', 'line', 'lseg', 'box', 'path', 'polygon', 'circle']);

export function chooseKey(relation: DbRelation): RelationKey {
  if (relation.kind === 'table' && relation.primaryKey.length > 0) return { kind: 'primary', columns: relation.primaryKey };
  if (relation.kind === 'table' && relation.uniqueKeys.length > 0) {
    const byName = new Map(relation.columns.map((c) => [c.name, c]));
    // A unique key over nullable columns admits many rows with NULL in it, so prefer one over NOT NULL columns,
    // then the narrowest; the catalog lists constraints by name, which keeps the choice stable.
    const ranked = relation.uniqueKeys
      .map((columns, index) => ({ columns, index, notNull: columns.every((c) => byName.get(c)?.nullable === false) }))
      .sort((a, b) => Number(b.notNull) - Number(a.notNull) || a.columns.length - b.columns.length || a.index - b.index);
    return { kind: 'unique', columns: ranked[0]!.columns };
  }
  const orderable = relation.columns.filter(isOrderable).map((c) => c.name);
  return orderable.length > 0 ? { kind: 'ordering', columns: orderable } : { kind: 'none', columns: [] };
}

function isOrderable(column: DbColumn): boolean {
  return !UNORDERABLE.has(column.dataType) && !mapColumn(column).unmapped;
}
