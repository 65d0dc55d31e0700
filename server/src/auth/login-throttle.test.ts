import { describe, expect, it } from 'vitest';
import { LoginThrottle } from './login-throttle.js';

describe('LoginThrottle', () => {
  it('blocks after repeated failures for 15 minutes, per key, and a success clears it', () => {
    const t = new LoginThrottle();
    const now = 1_000_000;
    for (let i = 0; i < 7; i++) t.fail(['ip:a', 'user:bob'], now + i);
    expect(t.blockedFor(['ip:a'], now + 10)).toBe(0);
    t.fail(['ip:a', 'user:bob'], now + 8);
    expect(t.blockedFor(['ip:b', 'user:bob'], now + 10)).toBeGreaterThan(14 * 60_000);
    expect(t.blockedFor(['ip:c', 'user:alice'], now + 10)).toBe(0);
    expect(t.blockedFor(['ip:a'], now + 15 * 60_000 + 10)).toBe(0);
    t.succeed(['ip:a', 'user:bob']);
    expect(t.blockedFor(['ip:a', 'user:bob'], now + 20)).toBe(0);
  });
});
