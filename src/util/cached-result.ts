// A result computed at most once per interval: concurrent callers share the one in flight, later ones its outcome.

/** `compute`, memoised for `ttlMs` after each run completes (failures included: they are results too). */
export function cachedFor<T>(ttlMs: number, compute: () => Promise<T>, now: () => number = Date.now): () => Promise<T> {
  let current: { readonly value: Promise<T>; settledAt: number | undefined } | undefined;
  return () => {
    if (current && (current.settledAt === undefined || now() - current.settledAt < ttlMs)) return current.value;
    const entry: { value: Promise<T>; settledAt: number | undefined } = { value: compute(), settledAt: undefined };
    const settle = (): void => {
      entry.settledAt = now();
    };
    entry.value.then(settle, settle);
    current = entry;
    return entry.value;
  };
}
