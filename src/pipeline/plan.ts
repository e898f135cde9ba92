// Stage 9, pure: (operation, input, decision) → the query plan. No SQL text and no I/O here or below.
import { planCreate, planDelete, planList, planRead, planReplace, planUpdate } from '../query/plan.js';
import type { Planned, Validated } from './exchange.js';
import type { PlannedQuery } from './planned-query.js';

export function planStage(): (x: Validated) => Planned {
  return (x) => ({ ...x, planned: planOperation(x) });
}

function planOperation(x: Validated): PlannedQuery {
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
      const list = planList(resource, input.read, decision, input.prefs.count === 'exact');
      return { kind: 'list', plan: list.plan, list };
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
