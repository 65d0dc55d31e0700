/** The retention settings in the policy: each kind at least 400 days, named when wrong, default 400. */
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parsePolicy } from '../../shared/src/policy/load.js';
import { DEFAULT_POLICY } from '../../shared/src/policy/default-policy.js';
import { retentionDays } from '../../shared/src/policy/retention.js';

describe('policy retention', () => {
  it('accepts 400 days or more for every kind', () => {
    const r = parsePolicy(stringify({ ...DEFAULT_POLICY, retention: { auditLogDays: 730, reportsDays: 400, stateEventsDays: 500, inventoryDays: 401 } }));
    expect(r.ok).toBe(true);
    if (r.ok) expect(retentionDays(r.policy)).toEqual({ auditLog: 730, reports: 400, stateEvents: 500, inventory: 401 });
  });
  it('defaults every kind to 400 days', () => {
    expect(retentionDays({})).toEqual({ auditLog: 400, reports: 400, stateEvents: 400, inventory: 400 });
    expect(retentionDays({ retention: { reportsDays: 800 } }).stateEvents).toBe(400);
  });
  for (const field of ['auditLogDays', 'reportsDays', 'stateEventsDays', 'inventoryDays']) {
    it(`refuses ${field} below 400, naming the field`, () => {
      const short = parsePolicy(stringify({ ...DEFAULT_POLICY, retention: { [field]: 399 } }));
      expect(short.ok).toBe(false);
      expect(short.ok ? '' : short.errors.join('\n')).toMatch(new RegExp(`/retention/${field} .*400`));
    });
  }
  it('refuses an unknown kind', () => {
    const other = parsePolicy(stringify({ ...DEFAULT_POLICY, retention: { sessionsDays: 500 } }));
    expect(other.ok).toBe(false);
    expect(other.ok ? [] : other.errors.join('\n')).toMatch(/\/retention/);
  });
});
