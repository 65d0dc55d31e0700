import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

describe('backoffDelay (full jitter)', () => {
  it('grows exponentially up to the cap', () => {
    expect(backoffDelay(0, 1000, 60_000, () => 0.999)).toBe(999);
    expect(backoffDelay(3, 1000, 60_000, () => 0.999)).toBe(7992);
    expect(backoffDelay(30, 1000, 60_000, () => 0.999)).toBe(59_940);
  });
  it('spreads delays over [0, ceiling)', () => {
    const samples = Array.from({ length: 2000 }, () => backoffDelay(4, 1000, 60_000));
    expect(Math.min(...samples)).toBeLessThan(1600);
    expect(Math.max(...samples)).toBeGreaterThan(14_400);
    expect(Math.max(...samples)).toBeLessThan(16_000);
  });
});
