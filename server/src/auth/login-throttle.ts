/**
 * Slow down password guessing without handing an attacker a way to lock a real user out.
 * Failures are counted per (username, source address) and per source address — never per
 * username alone, which anyone could exhaust from elsewhere to lock the owner out. The
 * source is `req.ip`, which honours X-Forwarded-For only from POSTURE_TRUSTED_PROXIES.
 * Guessing one account from many addresses is bounded by the per-source budget times the
 * addresses, and by the cost cap on password hashing (dashboard/login.ts).
 * In memory per collector process: with several collectors the budget multiplies by their number.
 */
const WINDOW_MS = 15 * 60_000;
/** Failures allowed for one username from one source in a window. */
export const MAX_PAIR_FAILURES = 8;
/** Failures allowed from one source (all usernames) in a window: a password spray from one address. */
export const MAX_SOURCE_FAILURES = 30;

export class LoginThrottle {
  private failures = new Map<string, number[]>();

  /** The throttle keys of one sign-in attempt. */
  static keys(username: string | undefined, source: string): { key: string; max: number }[] {
    const k = [{ key: `src:${source}`, max: MAX_SOURCE_FAILURES }];
    if (username) k.push({ key: `pair:${username.slice(0, 100).toLowerCase()}|${source}`, max: MAX_PAIR_FAILURES });
    return k;
  }

  private recent(key: string, now: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => now - t < WINDOW_MS);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  /** Milliseconds until another attempt is allowed for any of the keys, or 0. */
  blockedFor(keys: { key: string; max: number }[], now = Date.now()): number {
    let wait = 0;
    for (const { key, max } of keys) {
      const list = this.recent(key, now);
      if (list.length >= max) wait = Math.max(wait, WINDOW_MS - (now - list[list.length - max]));
    }
    return wait;
  }

  fail(keys: { key: string; max: number }[], now = Date.now()): void {
    if (this.failures.size > 100_000) this.failures.clear(); // bounded memory under a spray
    for (const { key, max } of keys) this.failures.set(key, [...this.recent(key, now), now].slice(-max));
  }

  /** A success clears the pair only: the source's spray budget is not reset by one good password. */
  succeed(keys: { key: string; max: number }[]): void {
    for (const { key } of keys) if (key.startsWith('pair:')) this.failures.delete(key);
  }
}
