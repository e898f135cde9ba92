// Work in flight: requests being answered and what they still owe (their audit record). Shutdown waits on it before
// closing the audit log and the pools, so a request that reached the database records its statements.

export interface InFlight {
  /** One unit of work begins; call the returned function (once) when it is over. */
  hold(): () => void;
  /** Units of work not over yet. */
  count(): number;
  /** Resolves true once nothing is held, or false after `timeoutMs`. */
  idle(timeoutMs: number): Promise<boolean>;
}

export function createInFlight(): InFlight {
  let held = 0;
  let waiters: Array<() => void> = [];
  const release = (): void => {
    held -= 1;
    if (held === 0 && waiters.length > 0) {
      const wake = waiters;
      waiters = [];
      for (const w of wake) w();
    }
  };
  return {
    hold() {
      held += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        release();
      };
    },
    count: () => held,
    idle(timeoutMs) {
      if (held === 0) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== wake);
          resolve(false);
        }, timeoutMs);
        const wake = (): void => {
          clearTimeout(timer);
          resolve(true);
        };
        waiters.push(wake);
      });
    },
  };
}
