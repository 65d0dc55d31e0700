import { describe, expect, it } from 'vitest';
import { mayReplaceOwner, OWNER_SOURCES } from './trust.js';

describe('owner trust order', () => {
  it('a lower source never replaces a higher one; same or higher does', () => {
    for (const [i, cur] of OWNER_SOURCES.entries())
      for (const [j, next] of OWNER_SOURCES.entries()) expect(mayReplaceOwner(cur, next), `${next} over ${cur}`).toBe(j <= i);
  });
  it('anything may fill an empty owner', () => {
    for (const s of OWNER_SOURCES) expect(mayReplaceOwner(null, s)).toBe(true);
  });
  it('admin beats inferred, inferred never beats employee', () => {
    expect(mayReplaceOwner('inferred', 'admin')).toBe(true);
    expect(mayReplaceOwner('employee', 'inferred')).toBe(false);
    expect(mayReplaceOwner('admin', 'employee')).toBe(false);
  });
});
