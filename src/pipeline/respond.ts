// Stage 11: what the database answered → the reply: status, paging headers, Location, the rows in API names, masked.
import { NotFoundError } from '../errors/app-error.js';
import type { Resource } from '../openapi/resource.js';
import { maskRows } from '../policy/mask.js';
import { encodeCursor } from '../query/cursor.js';
import { toApiRows } from '../query/plan.js';
import type { DbRow } from '../query/types.js';
import { appliedPreferences } from '../http/prefer.js';
import type { Executed } from './exchange.js';
import { emptyReply, jsonReply, type HeaderValue, type Reply } from './reply.js';
import type { RowFormat } from './operation-input.js';
import { CONTENT_TYPES, csvHeader, csvLine, formatRows } from './row-formats.js';

export function respondStage(maskKey: string | undefined): (x: Executed) => Reply {
  const shape = (x: Executed, rows: readonly DbRow[], names: readonly string[]): Record<string, unknown>[] =>
    maskRows(toApiRows(x.operation.resource, rows, names), x.decision.masks, maskKey);

  return (x) => {
    const { input, planned } = x;
    const resource = x.operation.resource;
    if ('batches' in x.result) {
      if (input.kind !== 'list' || planned.kind !== 'export') throw new Error('only an export streams');
      const selected = planned.list.selected;
      return streamReply(input.format, x.result.batches, (batch) => shape(x, batch, selected), selected);
    }
    const result = x.result;
    const rows = result.rows;
    switch (input.kind) {
      case 'list': {
        if (planned.kind !== 'list') throw new Error('a list is planned as a list');
        const { list } = planned;
        const page = rows.length > list.pageSize ? rows.slice(0, list.pageSize) : rows;
        const offset = input.read.offset ?? 0;
        const headers: Record<string, HeaderValue> = {
          'Content-Range': `${page.length > 0 ? `${offset}-${offset + page.length - 1}` : '*'}/${result.count ?? '*'}`,
        };
        if (rows.length > list.pageSize) {
          const last = page[page.length - 1]!;
          const values = list.order.map((t) => last[resource.columns.get(t.column)!.column] ?? null);
          const next = new URLSearchParams(x.query);
          next.delete('offset');
          next.set('cursor', encodeCursor(list.order, values));
          if (!next.has('limit')) next.set('limit', String(list.pageSize));
          headers.Link = `<${x.path}?${next.toString()}>; rel="next"`;
        }
        const applied = appliedPreferences({ count: input.prefs.count });
        if (applied) headers['Preference-Applied'] = applied;
        headers.Vary = 'Accept';
        headers['Content-Type'] = CONTENT_TYPES[input.format];
        return { status: 200, headers, body: formatRows(input.format, shape(x, page, list.selected), list.selected), rows: page.length, error: undefined };
      }
      case 'read':
        // More than one row for a key is refused by the executor (409 key_not_unique).
        if (rows.length === 0) throw notFound(resource);
        return jsonReply(200, {}, shape(x, rows, input.select)[0], 1);
      case 'create': {
        const headers: Record<string, HeaderValue> = {};
        const applied = appliedPreferences({ return: input.prefs.return, resolution: input.prefs.resolution });
        if (applied) headers['Preference-Applied'] = applied;
        const created = toApiRows(resource, rows, planned.kind === 'rows' ? planned.returning : resource.key);
        if (!input.bulk && created[0] && resource.itemPath) headers.Location = itemLocation(resource, created[0]);
        if (input.prefs.return !== 'representation') return emptyReply(201, headers, rows.length);
        const shaped = shape(x, rows, input.select);
        return jsonReply(201, headers, input.bulk ? shaped : (shaped[0] ?? null), rows.length);
      }
      case 'update':
      case 'delete':
        if (rows.length === 0) throw notFound(resource);
        return writeReply(x, 200, rows, input.select, false, shape);
      case 'replace':
        return writeReply(x, result.created ? 201 : 200, rows, input.select, result.created === true, shape);
      case 'updateMany':
      case 'deleteMany': {
        const headers: Record<string, HeaderValue> = {
          'Content-Range': `${rows.length > 0 ? `0-${rows.length - 1}` : '*'}/${rows.length}`,
        };
        if (input.prefs.return !== 'representation') return emptyReply(204, headers, rows.length);
        headers['Preference-Applied'] = 'return=representation';
        return jsonReply(200, headers, shape(x, rows, input.select), rows.length);
      }
    }
  };
}

/** An export: the header row (CSV) and each batch, formatted as it is read; rows are counted as they go out. */
function streamReply(
  format: RowFormat,
  batches: AsyncGenerator<DbRow[]>,
  shape: (batch: DbRow[]) => Record<string, unknown>[],
  columns: readonly string[],
): Reply {
  let rows = 0;
  async function* chunks(): AsyncGenerator<string> {
    if (format === 'text/csv') yield csvHeader(columns);
    for await (const batch of batches) {
      const shaped = shape(batch);
      rows += shaped.length;
      yield format === 'text/csv' ? shaped.map((r) => csvLine(r, columns)).join('') : `${shaped.map((r) => JSON.stringify(r)).join('\n')}\n`;
    }
  }
  return {
    status: 200,
    headers: { 'Content-Type': CONTENT_TYPES[format], Vary: 'Accept' },
    body: undefined,
    rows: undefined,
    error: undefined,
    stream: { chunks: chunks(), rows: () => rows },
  };
}

function writeReply(
  x: Executed,
  status: number,
  rows: DbRow[],
  select: readonly string[],
  created: boolean,
  shape: (x: Executed, rows: readonly DbRow[], names: readonly string[]) => Record<string, unknown>[],
): Reply {
  const resource = x.operation.resource;
  const headers: Record<string, HeaderValue> = {};
  const keys = toApiRows(resource, rows, resource.key);
  if (created && keys[0]) headers.Location = itemLocation(resource, keys[0]);
  if (x.input.prefs.return === 'representation') {
    headers['Preference-Applied'] = 'return=representation';
    return jsonReply(status, headers, shape(x, rows, select)[0] ?? null, rows.length);
  }
  return emptyReply(created ? 201 : 204, headers, rows.length);
}

function itemLocation(resource: Resource, row: Record<string, unknown>): string {
  const template = resource.itemPath!;
  let i = 0;
  return template.replace(/\{[^}]+\}/g, () => encodeURIComponent(String(row[resource.key[i++]!])));
}

function notFound(resource: Resource): NotFoundError {
  return new NotFoundError('row_not_found', `no ${resource.name} row has that key`);
}
