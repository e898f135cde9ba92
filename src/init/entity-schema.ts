// One relation → its entity schema (components.schemas): properties, required, read-only, descriptions, extensions.
import type { DbColumn, DbRelation } from '../db/catalog.js';
import type { JsonSchema } from '../openapi/resource.js';
import { isJsonColumn, literalDefault, mapColumn } from './type-mapping.js';

/** What every generated property carries until an operator classifies it (public, internal, confidential, pii, …). */
export const CLASSIFICATION_PLACEHOLDER = 'unclassified';

export interface EntityInput {
  readonly relation: DbRelation;
  /** API property name per column, in column order. */
  readonly propertyNames: readonly string[];
  /** Describes a referenced column (`Customer.id`), for foreign-key descriptions. */
  readonly referenceOf: (refSchema: string, refTable: string, refColumn: string) => string;
}

export interface EntitySchema {
  readonly schema: JsonSchema;
  /** Columns whose database type has no mapping rule. */
  readonly unmapped: readonly DbColumn[];
}

export function buildEntitySchema(input: EntityInput): EntitySchema {
  const { relation, propertyNames } = input;
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  const unmapped: DbColumn[] = [];
  const references = foreignKeyNotes(input);
  relation.columns.forEach((column, index) => {
    const name = propertyNames[index]!;
    const mapped = mapColumn(column);
    if (mapped.unmapped) unmapped.push(column);
    const prop: JsonSchema = { ...mapped.schema };
    if (column.generated) prop.readOnly = true;
    const fallback = column.generated ? undefined : literalDefault(column, mapped.schema);
    if (fallback !== undefined) prop.default = fallback;
    const description = [
      column.comment,
      references.get(column.name),
      column.generated ? 'Assigned by the database.' : undefined,
      !column.generated && column.defaultValue !== undefined && fallback === undefined
        ? `Defaults to \`${column.defaultValue}\` in the database.`
        : undefined,
      mapped.unmapped ? `Database type \`${column.dataType}\` has no JSON mapping; any value is passed through.` : undefined,
    ].filter((d): d is string => d !== undefined && d !== '');
    if (description.length > 0) prop.description = description.join(' ');
    if (column.name !== name) prop['x-gatehouse-column'] = column.name;
    prop['x-gatehouse-classification'] = CLASSIFICATION_PLACEHOLDER;
    if (isJsonColumn(column)) prop['x-gatehouse-json'] = true;
    properties[name] = prop;
    if (relation.kind === 'table' && !column.nullable && column.defaultValue === undefined && !column.generated) {
      required.push(name);
    }
  });
  const kind = relation.kind === 'view' ? 'View' : 'Table';
  const schema: JsonSchema = {
    type: 'object',
    description: relation.comment ?? `${kind} ${relation.schema}.${relation.name}.`,
    additionalProperties: false,
    ...(required.length > 0 ? { required } : {}),
    properties,
  };
  return { schema, unmapped };
}

/** "References `Customer.id` (foreign key ORD_HDR_CUST_FK)." per referencing column. */
function foreignKeyNotes(input: EntityInput): Map<string, string> {
  const notes = new Map<string, string[]>();
  for (const fk of input.relation.foreignKeys) {
    fk.columns.forEach((column, i) => {
      const target = input.referenceOf(fk.refSchema, fk.refTable, fk.refColumns[i] ?? '');
      const list = notes.get(column) ?? [];
      list.push(`References ${target} (foreign key ${fk.name}).`);
      notes.set(column, list);
    });
  }
  return new Map([...notes].map(([column, list]) => [column, list.join(' ')]));
}
