/**
 * A counting semaphore that refuses instead of queueing without bound: password hashing
 * (scrypt, ~50 ms of a core each) under a sign-in flood must not starve the event loop's
 * other work, so beyond `max` running and `queue` waiting the caller is told to come back.
 */
export class CostCap {
  private running = 0;
  private waiting: (() => void)[] = [];

  constructor(readonly max: number, readonly queue: number) {}

  /** Run fn under the cap; null (without running it) when the cap and the queue are full. */
  async tryRun<T>(fn: () => Promise<T>): Promise<T | null> {
    if (this.running >= this.max) {
      if (this.waiting.length >= this.queue) return null;
      await new Promise<void>((r) => this.waiting.push(r));
    } else this.running++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); // hand the slot over
      else this.running--;
    }
  }
}
