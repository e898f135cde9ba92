// Signed requests to the zone's primary: read an RRset, send an UPDATE; retries with back-off, RCODEs explained.
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { decodeMessage, encodeMessage, OPCODE, rcodeOf, type WireRecord } from './dns-wire.js';
import { DnsRequestError, rcodeName, type RequestScope } from './dns-request-error.js';
import { signRequest, verifyResponse, type TsigKey } from './tsig.js';
import { DnsTransportError, exchange, type DnsServerAddress } from './transport.js';

export interface Rfc2136ClientOptions {
  readonly server: DnsServerAddress;
  readonly zone: string;
  readonly key: TsigKey;
  /** Per exchange (each of UDP and TCP). */
  readonly timeoutMs: number;
  /** Tries per request, the first included. */
  readonly attempts: number;
  /** Wait before the second try; doubled for each further one, with ±50 % jitter so replicas do not retry in step. */
  readonly backoffMs: number;
  readonly nowSeconds?: () => number;
}

/** A record read back from the server; `data` as dns-packet decodes it (TXT: Buffer[], SRV: its fields). */
export interface ReadRecord {
  readonly name: string;
  readonly type: 'A' | 'AAAA' | 'SRV' | 'TXT';
  readonly class: string;
  readonly ttl: number;
  readonly data: unknown;
}

export interface Rfc2136Client {
  readonly serverLabel: string;
  /** The records of one type at `name`, as the primary holds them (empty when the name or the type is absent). */
  query(name: string, type: ReadRecord['type']): Promise<ReadRecord[]>;
  /** One atomic UPDATE of the zone; resolves when the server answered NOERROR with a valid signature. */
  update(prerequisites: readonly WireRecord[], updates: readonly WireRecord[], name: string): Promise<void>;
}

export function createRfc2136Client(options: Rfc2136ClientOptions): Rfc2136Client {
  const now = options.nowSeconds ?? (() => Math.floor(Date.now() / 1000));
  const serverLabel = `${options.server.host.includes(':') ? `[${options.server.host}]` : options.server.host}:${options.server.port}`;
  const scopeOf = (name: string, operation: RequestScope['operation']): RequestScope => ({
    server: serverLabel,
    zone: options.zone,
    keyName: options.key.name,
    name,
    operation,
  });

  /** `accepted`: the RCODEs that are an answer rather than a failure (a read accepts NXDOMAIN: no such name). */
  async function once(build: (id: number) => Buffer, scope: RequestScope, accepted: readonly string[]): Promise<Buffer> {
    const request = signRequest(build(randomInt(0, 65536)), options.key, now());
    let answer: Buffer;
    try {
      answer = await exchange(options.server, request.message, options.timeoutMs);
    } catch (err) {
      if (err instanceof DnsTransportError) throw new DnsRequestError(err.message, { cause: err.kind });
      throw err;
    }
    const rcode = rcodeName(rcodeOf(answer));
    const verdict = verifyResponse(answer, request, options.key, now());
    switch (verdict.kind) {
      case 'server-error':
        throw DnsRequestError.fromTsigError(verdict.error, scope);
      case 'invalid':
        throw DnsRequestError.untrusted(verdict.reason, scope, rcode);
      case 'unsigned':
        // A refusal that comes back unsigned (some servers answer REFUSED / NOTAUTH before looking at the key) is
        // still reported for what it says; a success cannot be believed without a signature.
        if (rcode === 'NOERROR') throw DnsRequestError.untrusted('it is not signed', scope, rcode);
        throw DnsRequestError.fromRcode(rcode, scope, ' (unsigned answer)');
      case 'verified':
        if (!accepted.includes(rcode)) throw DnsRequestError.fromRcode(rcode, scope);
        return answer;
    }
  }

  async function send(build: (id: number) => Buffer, scope: RequestScope, accepted = ['NOERROR']): Promise<Buffer> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await once(build, scope, accepted);
      } catch (err) {
        if (!(err instanceof DnsRequestError) || !err.retryable || attempt >= options.attempts) throw err;
        const base = options.backoffMs * 2 ** (attempt - 1);
        await sleep(Math.round(base * (0.5 + Math.random())));
      }
    }
  }

  return {
    serverLabel,
    async query(name, type) {
      // A name that does not exist (NXDOMAIN) holds no records: for a read that is an answer, not a failure.
      const answer = await send(
        (id) => encodeMessage({ id, opcode: OPCODE.QUERY, question: { name, type } }),
        scopeOf(name, 'query'),
        ['NOERROR', 'NXDOMAIN'],
      );
      const owner = name.replace(/\.$/, '').toLowerCase();
      return (decodeMessage(answer).answers ?? []).flatMap((a) =>
        a.type === type && a.name.toLowerCase() === owner && 'data' in a
          ? [{ name: a.name, type, class: a.class ?? 'IN', ttl: a.ttl ?? 0, data: a.data as unknown }]
          : [],
      );
    },
    async update(prerequisites, updates, name) {
      await send(
        (id) =>
          encodeMessage({
            id,
            opcode: OPCODE.UPDATE,
            question: { name: options.zone, type: 'SOA' },
            answers: prerequisites,
            authorities: updates,
          }),
        scopeOf(name, 'update'),
      );
    },
  };
}
