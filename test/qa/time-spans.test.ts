/** Acceptance QA: the dashboard showed a deadline 2 d 23 h away as "in 2d" while the agent said "in 3 days". */
import { describe, expect, it } from 'vitest';
import { timeAgo } from '../../server/src/dashboard/html.js';

describe('dashboard time spans', () => {
  const now = Date.parse('2026-11-23T12:00:00Z');
  it('keeps the hours under a week, drops them beyond', () => {
    expect(timeAgo(new Date(now + (2 * 86400 + 23 * 3600 + 59 * 60) * 1000), now)).toBe('in 2d 23h');
    expect(timeAgo(new Date(now - 3 * 86400 * 1000), now)).toBe('3d ago');
    expect(timeAgo(new Date(now - (10 * 86400 + 5 * 3600) * 1000), now)).toBe('10d ago');
    expect(timeAgo(new Date(now + 90 * 60 * 1000), now)).toBe('in 1h');
  });
});
