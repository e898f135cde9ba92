// The TXT record a replica publishes beside its addresses: which instance, which addresses and port, last seen when.

/*
 * Replicas publish the same name, and an address or port may be shared (two replicas on one host, or every pod on
 * 8080): the A / AAAA / SRV RRsets cannot say whose a record is. Each replica's TXT record ("claim") can, so a
 * replica removes an address only when no live claim still names it, and a claim whose replica stopped refreshing
 * (a crash, a kill -9) can be retired by the others.
 */
export interface InstanceClaim {
  readonly instance: string;
  readonly addresses: readonly string[];
  readonly port: number;
  /** Unix seconds of the claim's last refresh. */
  readonly seen: number;
  /** The replica's refresh interval, in seconds: how soon a fresh claim is due. */
  readonly refreshSeconds: number;
}

const PREFIX = 'gatehouse-instance=';

/** A claim's refresh is overdue (its replica is gone) after this many of its own intervals. */
export const STALE_AFTER_INTERVALS = 3;

/** A TXT character-string holds at most 255 bytes: a long address list is spread over several `addresses=` strings. */
function addressStrings(addresses: readonly string[]): string[] {
  const out: string[] = [];
  let current: string[] = [];
  for (const address of addresses) {
    if (current.length > 0 && `addresses=${[...current, address].join(',')}`.length > 255) {
      out.push(`addresses=${current.join(',')}`);
      current = [];
    }
    current.push(address);
  }
  out.push(`addresses=${current.join(',')}`);
  return out;
}

export function encodeClaim(claim: InstanceClaim): Buffer[] {
  return [
    `${PREFIX}${claim.instance}`,
    ...addressStrings(claim.addresses),
    `port=${claim.port}`,
    `seen=${claim.seen}`,
    `refresh=${claim.refreshSeconds}`,
  ].map((s) => Buffer.from(s, 'utf8'));
}

/** The claim a TXT record holds, or undefined when the record is somebody else's (left alone). */
export function parseClaim(strings: readonly Buffer[]): InstanceClaim | undefined {
  const [first, ...rest] = strings.map((b) => b.toString('utf8'));
  if (first === undefined || !first.startsWith(PREFIX)) return undefined;
  const fields = new Map<string, string>();
  for (const s of rest) {
    const eq = s.indexOf('=');
    const [key, value] = eq < 0 ? [s, ''] : [s.slice(0, eq), s.slice(eq + 1)];
    // `addresses=` may repeat (see addressStrings); the others appear once.
    fields.set(key, key === 'addresses' && fields.has(key) ? `${fields.get(key)},${value}` : value);
  }
  const port = Number(fields.get('port'));
  const seen = Number(fields.get('seen'));
  const refreshSeconds = Number(fields.get('refresh'));
  if (!Number.isInteger(port) || !Number.isInteger(seen) || !Number.isInteger(refreshSeconds)) return undefined;
  const addresses = (fields.get('addresses') ?? '').split(',').filter((a) => a !== '');
  return { instance: first.slice(PREFIX.length), addresses, port, seen, refreshSeconds };
}

export function isStale(claim: InstanceClaim, nowSeconds: number): boolean {
  return nowSeconds > claim.seen + STALE_AFTER_INTERVALS * claim.refreshSeconds;
}
