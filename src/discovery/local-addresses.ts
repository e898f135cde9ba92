// This host's addresses worth publishing: every non-loopback, non-link-local interface address, in a stable order.
import { networkInterfaces } from 'node:os';

export function interfaceAddresses(): string[] {
  const found = new Set<string>();
  for (const entries of Object.values(networkInterfaces())) {
    for (const entry of entries ?? []) {
      // Link-local IPv6 (fe80::/10) needs a zone index no remote caller has.
      if (entry.internal || /^fe[89ab]/i.test(entry.address)) continue;
      found.add(entry.address);
    }
  }
  return [...found].sort();
}
