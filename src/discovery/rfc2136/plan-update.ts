// Pure: from the TXT claims read at the name, the one UPDATE that publishes (or withdraws) this instance safely.
import { isIPv6 } from 'node:net';
import type { WireRecord } from './dns-wire.js';
import { encodeClaim, isStale, parseClaim, type InstanceClaim } from './instance-claim.js';

export interface PublishedName {
  /** Fully qualified, with the trailing dot. */
  readonly name: string;
  /** `_gatehouse._tcp.<name>` */
  readonly srvName: string;
  readonly ttl: number;
}

export interface PlanInput {
  readonly target: PublishedName;
  readonly instance: string;
  /** What this instance should publish now; undefined to withdraw it. */
  readonly self: InstanceClaim | undefined;
  /** The TXT RRset at the name as the primary holds it: each record's character-strings. */
  readonly txt: readonly (readonly Buffer[])[];
  readonly nowSeconds: number;
}

export interface UpdatePlan {
  /** RFC 2136 §2.4: the TXT RRset is still exactly what was read, so no other replica's claim slipped in between. */
  readonly prerequisites: readonly WireRecord[];
  readonly updates: readonly WireRecord[];
  /** Other instances whose overdue claims (and the addresses only they named) this update removes. */
  readonly retired: readonly string[];
  /** The records this instance has once the update is applied (empty when withdrawing). */
  readonly published: readonly WireRecord[];
}

/** The records one claim stands for. */
export function claimRecords(target: PublishedName, claim: InstanceClaim): WireRecord[] {
  return [
    ...claim.addresses.map(
      (address): WireRecord => ({ name: target.name, type: isIPv6(address) ? 'AAAA' : 'A', class: 'IN', ttl: target.ttl, data: address }),
    ),
    {
      name: target.srvName,
      type: 'SRV',
      class: 'IN',
      ttl: target.ttl,
      data: { priority: 0, weight: 0, port: claim.port, target: target.name },
    },
    { name: target.name, type: 'TXT', class: 'IN', ttl: target.ttl, data: encodeClaim(claim) },
  ];
}

export function planUpdate(input: PlanInput): UpdatePlan {
  const { target } = input;
  const read = input.txt.map((strings) => ({ strings, claim: parseClaim(strings) }));
  const retiring = read.filter(
    (r) => r.claim && (r.claim.instance === input.instance || isStale(r.claim, input.nowSeconds)),
  );
  const kept = [
    ...read.filter((r) => r.claim && !retiring.includes(r)).map((r) => r.claim as InstanceClaim),
    ...(input.self ? [input.self] : []),
  ];
  const keptAddresses = new Set(kept.flatMap((c) => c.addresses.map(normaliseAddress)));
  const keptPorts = new Set(kept.map((c) => c.port));

  const deletions: WireRecord[] = [];
  const goneAddresses = new Set<string>();
  const gonePorts = new Set<number>();
  for (const r of retiring) {
    const claim = r.claim as InstanceClaim;
    // class NONE + RDATA deletes exactly this record (RFC 2136 §2.5.4), never another replica's.
    deletions.push({ name: target.name, type: 'TXT', class: 'NONE', ttl: 0, data: r.strings });
    for (const address of claim.addresses) if (!keptAddresses.has(normaliseAddress(address))) goneAddresses.add(address);
    if (!keptPorts.has(claim.port)) gonePorts.add(claim.port);
  }
  for (const address of goneAddresses) {
    deletions.push({ name: target.name, type: isIPv6(address) ? 'AAAA' : 'A', class: 'NONE', ttl: 0, data: address });
  }
  for (const port of gonePorts) {
    deletions.push({ name: target.srvName, type: 'SRV', class: 'NONE', ttl: 0, data: { priority: 0, weight: 0, port, target: target.name } });
  }

  const published = input.self ? claimRecords(target, input.self) : [];
  const prerequisites: WireRecord[] =
    input.txt.length === 0
      ? [{ name: target.name, type: 'TXT', class: 'NONE', ttl: 0 }]
      : input.txt.map((strings) => ({ name: target.name, type: 'TXT', class: 'IN', ttl: 0, data: strings }));
  return {
    prerequisites,
    updates: [...deletions, ...published],
    retired: retiring.map((r) => (r.claim as InstanceClaim).instance).filter((i) => i !== input.instance),
    published,
  };
}

/** `fd00:0::1` and `fd00::1` are one AAAA record. */
function normaliseAddress(address: string): string {
  if (!isIPv6(address)) return address;
  const url = new URL(`http://[${address}]/`);
  return url.hostname.slice(1, -1);
}
