// Writes to the ERP demo's keyless table (customer notes) for the Idempotency-Key suites, and what they left behind.
import assert from 'node:assert/strict';
import { eventsFor } from './audit-log.js';
import type { TestGateway } from './gateway.js';

export const notePolicies = {
  rules: [
    { name: 'notes', scopes: ['customer-notes:read', 'customer-notes:write'], resource: 'customer-notes', operations: ['read', 'write'] },
    { name: 'items', scopes: ['items:read', 'items:write'], resource: 'items', operations: ['read', 'write'] },
  ],
};

export function note(noteId: number, text = `note ${noteId}`): Record<string, unknown> {
  return { noteId, customerId: 1, text, enteredBy: 'RETRY', enteredAt: '2026-12-01T10:00:00Z' };
}

export async function notesWithId(gw: TestGateway, noteId: number): Promise<number> {
  const row = (await gw.db('CUST_NOTE').where({ NOTE_ID: noteId }).count({ n: '*' }).first()) as { n: string };
  return Number(row.n);
}

/** The request event of a request id (its intents aside). */
export async function requestEvent(gw: TestGateway, requestId: string): Promise<Record<string, unknown>> {
  const events = (await eventsFor(gw.storeDb, requestId)).filter((e) => e.kind === 'request');
  assert.equal(events.length, 1, `one request event for ${requestId}`);
  return events[0]!;
}
