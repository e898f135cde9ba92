// What the host was doing during a measurement: machine-wide CPU ticks, the share stolen by the hypervisor or used by
// processes outside the bench, the load average; and the median the benchmarks report.
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { procStat } from '../../test/support/processes.js';

export interface MachineTicks {
  readonly total: number;
  /** Ticks some process was running (not idle, not waiting for I/O, not stolen). */
  readonly busy: number;
  readonly steal: number;
}

/** Machine-wide CPU ticks from /proc/stat: all of them, the busy ones, and those stolen by the hypervisor. */
export function machineTicks(): MachineTicks {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  const steal = f[7] ?? 0;
  return { total, busy: total - (f[3] ?? 0) - (f[4] ?? 0) - steal, steal };
}

/** CPU ticks (user + system) of these processes; a process that is gone counts 0. */
export function processTicks(pids: Iterable<number>): number {
  let total = 0;
  for (const pid of new Set(pids)) {
    const f = procStat(`/proc/${pid}/stat`);
    if (f) total += Number(f[11]) + Number(f[12]);
  }
  return total;
}

/** Share of the CPU time between two readings that the hypervisor gave to others. */
export function stealBetween(before: MachineTicks, after: MachineTicks): number {
  const elapsed = after.total - before.total;
  return elapsed > 0 ? (after.steal - before.steal) / elapsed : 0;
}

export function loadLine(): string {
  return `load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} CPUs`;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
