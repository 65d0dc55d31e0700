/**
 * Slow down password guessing: after a few failures from one address (or against one
 * username) sign-in is refused for a while. In memory per collector process: with several
 * collectors the budget multiplies by their number, which still bounds guessing.
 */
const WINDOW_MS = 15 * 60_000;
const MAX_FAILURES = 8;

export class LoginThrottle {
  private failures = new Map<string, number[]>();

  private recent(key: string, now: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => now - t < WINDOW_MS);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  /** Milliseconds until another attempt is allowed for any of the keys, or 0. */
  blockedFor(keys: string[], now = Date.now()): number {
    let wait = 0;
    for (const k of keys) {
      const list = this.recent(k, now);
      if (list.length >= MAX_FAILURES) wait = Math.max(wait, WINDOW_MS - (now - list[0]));
    }
    return wait;
  }

  fail(keys: string[], now = Date.now()): void {
    if (this.failures.size > 100_000) this.failures.clear(); // bounded memory under a spray
    for (const k of keys) this.failures.set(k, [...this.recent(k, now), now]);
  }

  succeed(keys: string[]): void {
    for (const k of keys) this.failures.delete(k);
  }
}
