// Whatever else must follow the gateway's life (a DNS registration, …): told when it serves and when it stops.

export interface Listening {
  /** The data listener's URL, e.g. http://10.0.0.5:8080. */
  readonly url: string;
  readonly port: number;
}

export interface LifecycleParticipant {
  readonly name: string;
  /** The gateway listens and is serving (e.g. publish its name). A failure is logged; the gateway serves on. */
  start?(listening: Listening): void | Promise<void>;
  /**
   * Shutdown began and readiness already fails (e.g. withdraw the name, so new callers stop arriving); it runs while
   * the gateway drains, and the gateway closes its resources only once every participant has stopped.
   */
  stop?(): Promise<void>;
}
