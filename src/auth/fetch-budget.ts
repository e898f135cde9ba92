// A sliding one-minute budget: caps how often tokens with unknown `kid`s can make us fetch keys.

export interface FetchBudget {
  /** Spends one fetch if the last minute has room for it. */
  take(): boolean;
}

const MINUTE_MS = 60_000;

export function createFetchBudget(perMinute: number, now: () => number): FetchBudget {
  const spent: number[] = [];
  return {
    take() {
      const t = now();
      while (spent.length > 0 && (spent[0] as number) <= t - MINUTE_MS) spent.shift();
      if (spent.length >= perMinute) return false;
      spent.push(t);
      return true;
    },
  };
}
