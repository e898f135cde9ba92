// Why a DNS request failed, in words an operator can act on: the server's RCODE and TSIG error, or the network.

export const RCODE_NAMES = [
  'NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE',
] as const;

export function rcodeName(rcode: number): string {
  return RCODE_NAMES[rcode] ?? `RCODE${rcode}`;
}

/** What the request was about, so the explanation can name the zone, the key and the name. */
export interface RequestScope {
  readonly server: string;
  readonly zone: string;
  readonly keyName: string;
  readonly name: string;
  readonly operation: 'query' | 'update';
}

/** RFC 2136 §2.4 prerequisites that failed: another writer changed the records since we read them. */
const CONFLICTS = new Set(['YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NXDOMAIN']);

function explainRcode(rcode: string, scope: RequestScope): string {
  switch (rcode) {
    case 'FORMERR':
      return `${scope.server} could not parse the request (FORMERR)`;
    case 'SERVFAIL':
      return `${scope.server} failed to process the request (SERVFAIL); it is retried`;
    case 'NOTIMP':
      return `${scope.server} does not accept dynamic updates (NOTIMP)`;
    case 'REFUSED':
      return scope.operation === 'query'
        ? `${scope.server} refused to answer for ${scope.name} (REFUSED): it does not serve zone ${scope.zone}, or does not allow queries from this host`
        : `${scope.server} refused the update (REFUSED): its allow-update / update-policy for zone ${scope.zone} does not let key ${scope.keyName} change ${scope.name}`;
    case 'NOTAUTH':
      return `${scope.server} is not authoritative for zone ${scope.zone}, or did not accept key ${scope.keyName} (NOTAUTH)`;
    case 'NOTZONE':
      return `${scope.name} is outside zone ${scope.zone} (NOTZONE): check discovery.name and discovery.rfc2136.zone`;
    case 'YXRRSET':
    case 'NXRRSET':
    case 'YXDOMAIN':
    case 'NXDOMAIN':
      return `the records of ${scope.name} changed while this update was prepared (${rcode}: prerequisite failed); they are read again`;
    default:
      return `${scope.server} answered ${rcode}`;
  }
}

function explainTsigError(tsigError: string, scope: RequestScope): string {
  switch (tsigError) {
    case 'BADSIG':
      return `${scope.server} rejected the signature of key ${scope.keyName} (NOTAUTH/BADSIG): the secret in discovery.rfc2136.tsig.secret is not the server's`;
    case 'BADKEY':
      return `${scope.server} does not know key ${scope.keyName} with this algorithm (NOTAUTH/BADKEY): check discovery.rfc2136.tsig.name and algorithm`;
    case 'BADTIME':
      return `${scope.server} rejected the request's time (NOTAUTH/BADTIME): this host's clock and the server's differ by more than the fudge`;
    default:
      return `${scope.server} reported TSIG error ${tsigError}`;
  }
}

export class DnsRequestError extends Error {
  /** Worth retrying as is: a timeout, a network error or SERVFAIL. */
  readonly retryable: boolean;
  /** A prerequisite failed: read the records again and rebuild the update. */
  readonly conflict: boolean;

  constructor(
    message: string,
    readonly detail: { readonly rcode?: string; readonly tsigError?: string; readonly cause: 'rcode' | 'tsig' | 'network' | 'timeout' },
  ) {
    super(message);
    this.name = 'DnsRequestError';
    this.retryable = detail.cause === 'network' || detail.cause === 'timeout' || detail.rcode === 'SERVFAIL';
    this.conflict = detail.rcode !== undefined && CONFLICTS.has(detail.rcode);
  }

  static fromRcode(rcode: string, scope: RequestScope, note = ''): DnsRequestError {
    return new DnsRequestError(explainRcode(rcode, scope) + note, { rcode, cause: 'rcode' });
  }

  static fromTsigError(tsigError: string, scope: RequestScope): DnsRequestError {
    return new DnsRequestError(explainTsigError(tsigError, scope), { rcode: 'NOTAUTH', tsigError, cause: 'tsig' });
  }

  static untrusted(reason: string, scope: RequestScope, rcode?: string): DnsRequestError {
    return new DnsRequestError(`the answer from ${scope.server} cannot be trusted: ${reason}`, {
      ...(rcode === undefined ? {} : { rcode }),
      cause: 'tsig',
    });
  }
}
