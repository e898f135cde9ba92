// Stage 9, pure: (operation, input, decision) → the query plan. No SQL text and no I/O here or below. A list's cursor
// is opened here (it only holds values, sealed with `cursorKey`), so the planner gets plain values.
import { cursorScope, openCursor } from '../query/cursor.js';
import { listOrder, planCreate, planDelete, planList, planRead, planReplace, planUpdate } from '../query/plan.js';
import { principalOf, type Planned, type Validated } from './exchange.js';
import type { PlannedQuery } from './planned-query.js';

export function planStage(cursorKey: Buffer): (x: Validated) => Planned {
  return (x) => ({ ...x, planned: planOperation(x, cursorKey) });
}

function planOperation(x: Validated, cursorKey: Buffer): PlannedQuery {
  const { input, decision } = x;
  const resource = x.operation.resource;
  const representation = input.prefs.return === 'representation';
  // Writes return the representation asked for, else just the key (for Location and row checks).
  const returning = representation ? input.select : resource.key;
  switch (input.kind) {
    case 'list': {
      if (input.all) {
        const list = planList(resource, input.read, decision, false);
        return { kind: 'export', plan: { ...list.plan, limit: list.pageSize }, list };
      }
      const cursor = cursorScope(resource.name, input.read, listOrder(resource, input.read), decision, principalOf(x));
      const after = input.read.cursor === undefined ? undefined : openCursor(cursorKey, cursor, input.read.cursor);
      const list = planList(resource, input.read, decision, input.prefs.count === 'exact', after);
      return { kind: 'list', plan: list.plan, list, cursor };
    }
    case 'read':
      return { kind: 'rows', plan: planRead(resource, input.key, input.select, decision), returning: input.select };
    case 'create': {
      const withKey = representation ? union(input.select, resource.key) : resource.key;
      return {
        kind: 'rows',
        plan: planCreate(resource, input.rows, decision, { resolution: input.prefs.resolution, returning: withKey }),
        returning: withKey,
      };
    }
    case 'update':
      return { kind: 'rows', plan: planUpdate(resource, input.body, input.filters, decision, returning, 1), returning };
    case 'replace': {
      const withKey = representation ? union(input.select, resource.key) : resource.key;
      return { kind: 'rows', plan: planReplace(resource, input.key, input.body, decision, withKey), returning: withKey };
    }
    case 'delete':
      return { kind: 'rows', plan: planDelete(resource, input.filters, decision, returning, 1), returning };
    case 'updateMany':
      return { kind: 'rows', plan: planUpdate(resource, input.body, input.filters, decision, returning, input.maxAffected), returning };
    case 'deleteMany':
      return { kind: 'rows', plan: planDelete(resource, input.filters, decision, returning, input.maxAffected), returning };
  }
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}
