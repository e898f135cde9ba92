// A write that committed must not be answered as a failure because its event could not be stored at that instant:
// the answer is held while the writer recovers (it probes the store every 200 ms), and the event stored then. Bounded:
// past `holdMs` the caller is told the change was applied but not recorded (audit_unavailable_after_write).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Auditor } from './auditor.js';
import type { AuditContent } from './event.js';
import { storedIds } from './recovery-store.js';

/**
 * Stores `content` once the writer takes records again, within `holdMs` (plus at most one store statement in
 * progress at the deadline). True once it is stored. A commit whose acknowledgement was lost may have stored it
 * already: it is looked up first, so it is never stored twice.
 */
export async function storeWithin(auditor: Auditor, content: AuditContent, holdMs: number): Promise<boolean> {
  const deadline = Date.now() + holdMs;
  for (;;) {
    if (auditor.writer.unavailableReason() === undefined) {
      try {
        if ((await storedIds(auditor.store.db, [content.id])).has(content.id)) return true;
        await auditor.writer.append(content);
        return true;
      } catch {
        // Refused or failed again: the writer is recovering once more.
      }
    }
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await sleep(Math.min(50, left));
  }
}
