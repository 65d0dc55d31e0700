import { describe, expect, it } from 'vitest';
import { LoginThrottle, MAX_PAIR_FAILURES, MAX_SOURCE_FAILURES } from './login-throttle.js';

describe('LoginThrottle', () => {
  it('blocks a (username, source) pair after repeated failures for 15 minutes; a success clears the pair', () => {
    const t = new LoginThrottle();
    const now = 1_000_000;
    const bobFromA = LoginThrottle.keys('bob', 'a');
    for (let i = 0; i < MAX_PAIR_FAILURES - 1; i++) t.fail(bobFromA, now + i);
    expect(t.blockedFor(bobFromA, now + 10)).toBe(0);
    t.fail(bobFromA, now + 8);
    expect(t.blockedFor(bobFromA, now + 10)).toBeGreaterThan(14 * 60_000);
    expect(t.blockedFor(bobFromA, now + 15 * 60_000 + 10)).toBe(0);
    t.succeed(bobFromA);
    expect(t.blockedFor(bobFromA, now + 20)).toBe(0);
  });

  it('an attacker failing as bob from another address does not lock bob out (issue 11 #5)', () => {
    const t = new LoginThrottle();
    const now = 1_000_000;
    for (let i = 0; i < 100; i++) t.fail(LoginThrottle.keys('bob', 'attacker'), now + i);
    expect(t.blockedFor(LoginThrottle.keys('bob', 'attacker'), now + 200)).toBeGreaterThan(0);
    expect(t.blockedFor(LoginThrottle.keys('bob', 'bobs-laptop'), now + 200)).toBe(0);
  });

  it('a password spray from one source is stopped across usernames', () => {
    const t = new LoginThrottle();
    const now = 1_000_000;
    for (let i = 0; i < MAX_SOURCE_FAILURES; i++) t.fail(LoginThrottle.keys(`user${i}`, 'sprayer'), now + i);
    expect(t.blockedFor(LoginThrottle.keys('fresh-user', 'sprayer'), now + 100)).toBeGreaterThan(0);
    expect(t.blockedFor(LoginThrottle.keys('fresh-user', 'elsewhere'), now + 100)).toBe(0);
  });
});
