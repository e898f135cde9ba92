// The requests of this process that wrote (or tried to write) intents, followed until their event is stored: a
// request whose event can no longer arrive (it is over, nothing of it is queued, in flight or kept for later, and no
// event or outcome of it was stored) is "lost", and only then may its intents be closed as unknown.

interface OpenRequest {
  /** Holds by the request itself: while > 0 it is still running and may yet record its event. */
  holds: number;
  /** Its records queued, in flight or kept for later. */
  waiting: number;
  /** An intent of it was accepted (it may be stored). */
  intents: boolean;
  /** Its request event or an outcome is stored. */
  closed: boolean;
}

export class OpenIntents {
  private readonly open = new Map<string, OpenRequest>();
  private lost = new Set<string>();
  /** Lost requests not kept because `maxLost` were already waiting: closed by the next start-up instead. */
  private overflow = 0;

  constructor(
    private readonly maxLost: number,
    /** A request was found lost: its outcome should be stored soon. */
    private readonly onLost: () => void,
  ) {}

  /** The request `ref` is under way and writes intents; the returned function says it is over. */
  hold(ref: string): () => void {
    let entry = this.open.get(ref);
    if (!entry) {
      entry = { holds: 0, waiting: 0, intents: false, closed: false };
      this.open.set(ref, entry);
    }
    entry.holds += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const current = this.open.get(ref);
      if (!current) return;
      current.holds -= 1;
      this.settle(ref, current);
    };
  }

  /** A record is queued or kept for later; true when its request is followed (then `settled` must be called once). */
  track(ref: string, kind: string): boolean {
    if (this.open.size === 0) return false;
    const entry = this.open.get(ref);
    if (!entry) return false;
    entry.waiting += 1;
    if (kind === 'intent') entry.intents = true;
    return true;
  }

  /** A tracked record was stored, or will not be (refused, or its commit failed). */
  settled(ref: string, kind: string, stored: boolean): void {
    const entry = this.open.get(ref);
    if (!entry) return;
    entry.waiting -= 1;
    if (stored && kind !== 'intent') entry.closed = true;
    this.settle(ref, entry);
  }

  /** Takes the lost requests (their refs) to close; `giveBack` returns those that could not be handled yet. */
  takeLost(): string[] {
    const refs = [...this.lost];
    this.lost = new Set();
    return refs;
  }

  giveBack(refs: readonly string[]): void {
    for (const ref of refs) this.lost.add(ref);
  }

  /** How many lost requests were not kept (closed as unknown by the next start-up); resets the count. */
  takeOverflow(): number {
    const n = this.overflow;
    this.overflow = 0;
    return n;
  }

  private settle(ref: string, entry: OpenRequest): void {
    if (entry.holds > 0 || entry.waiting > 0) return;
    this.open.delete(ref);
    if (entry.closed || !entry.intents) return;
    if (this.lost.size >= this.maxLost) {
      this.overflow += 1;
      return;
    }
    this.lost.add(ref);
    this.onLost();
  }
}
