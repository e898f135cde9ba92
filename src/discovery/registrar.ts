// The registrar interface: one implementation per directory service (RFC 2136 DNS now; Consul's agent API later).

export type RegistrationState =
  /** registrar: none. */
  | 'disabled'
  /** Not published yet: the first attempt is under way or not started. */
  | 'starting'
  | 'registered'
  /** The last attempt failed; the gateway keeps serving and retries with back-off. */
  | 'failing'
  | 'deregistered';

export interface RegistrationError {
  readonly at: string;
  readonly message: string;
  /** The server's RCODE (REFUSED, NOTAUTH, NOTZONE, …), when it answered one. */
  readonly rcode?: string;
  /** The TSIG error (BADSIG, BADKEY, BADTIME) the server reported. */
  readonly tsigError?: string;
}

/** What readiness details, a metric and `gatehouse dns status` read. */
export interface RegistrationStatus {
  readonly registrar: 'none' | 'rfc2136';
  readonly state: RegistrationState;
  readonly name?: string;
  readonly instance?: string;
  readonly server?: string;
  readonly lastAttemptAt?: string;
  readonly lastSuccessAt?: string;
  readonly lastError?: RegistrationError;
  readonly consecutiveFailures: number;
  /** This instance's records as last published, in zone-file form. */
  readonly records: readonly string[];
}

/** One replica's entry as the directory holds it. */
export interface PublishedInstance {
  readonly instance: string;
  readonly addresses: readonly string[];
  readonly port: number;
  readonly lastSeen: string;
  /** Overdue: its replica stopped refreshing; the next live replica's refresh removes it. */
  readonly stale: boolean;
}

export interface PublishedView {
  readonly name: string;
  /** Every record at the name (and its SRV name), in zone-file form, as the directory holds them. */
  readonly records: readonly string[];
  readonly instances: readonly PublishedInstance[];
}

export interface Registrar {
  /** Publishes in the background from now on and keeps it true (refresh, address changes); never throws. */
  start(port: number): void;
  /** Publishes once, now; rejects with the reason when it could not. */
  register(port: number): Promise<void>;
  /** Withdraws this instance's records once, now (only its own); rejects with the reason when it could not. */
  deregister(): Promise<void>;
  /** Stops refreshing and withdraws this instance's records, within a bounded time; never throws. */
  stop(): Promise<void>;
  status(): RegistrationStatus;
  /** What the directory holds for the name now. */
  lookup(): Promise<PublishedView>;
}

export function disabledRegistrar(): Registrar {
  const status: RegistrationStatus = { registrar: 'none', state: 'disabled', consecutiveFailures: 0, records: [] };
  return {
    start: () => undefined,
    register: async () => undefined,
    deregister: async () => undefined,
    stop: async () => undefined,
    status: () => status,
    lookup: async () => ({ name: '', records: [], instances: [] }),
  };
}
