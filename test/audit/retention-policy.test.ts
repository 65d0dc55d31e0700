/** The audit-log retention setting in the policy: at least 400 days, named when wrong. */
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parsePolicy } from '../../shared/src/policy/load.js';
import { DEFAULT_POLICY } from '../../shared/src/policy/default-policy.js';

describe('policy retention.auditLogDays', () => {
  it('accepts 400 days or more', () => {
    const r = parsePolicy(stringify({ ...DEFAULT_POLICY, retention: { auditLogDays: 730 } }));
    expect(r.ok).toBe(true);
  });
  it('refuses less than 400 days and unknown kinds, naming the field', () => {
    const short = parsePolicy(stringify({ ...DEFAULT_POLICY, retention: { auditLogDays: 30 } }));
    expect(short.ok).toBe(false);
    expect(short.ok ? [] : short.errors.join('\n')).toMatch(/\/retention\/auditLogDays .*400/);
    const other = parsePolicy(stringify({ ...DEFAULT_POLICY, retention: { reportsDays: 500 } }));
    expect(other.ok).toBe(false);
    expect(other.ok ? [] : other.errors.join('\n')).toMatch(/\/retention/);
  });
});
