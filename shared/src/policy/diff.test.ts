import { describe, expect, it } from 'vitest';
import { formatChange, policyDiff } from './diff.js';

describe('policyDiff', () => {
  it('lists changed, added and removed leaves by dotted path; arrays compare whole', () => {
    const before = { checks: { firewall: { graceHours: 72, required: true }, usb: { mode: 'block' } }, evidence: { exportRoles: ['admin', 'auditor'] } };
    const after = { checks: { firewall: { graceHours: 24, required: true }, custom: { x: 1 } }, evidence: { exportRoles: ['admin'] } };
    const { changes, truncated } = policyDiff(before, after);
    expect(truncated).toBe(0);
    expect(changes).toEqual([
      { path: 'checks.custom', to: { x: 1 } },
      { path: 'checks.firewall.graceHours', from: 72, to: 24 },
      { path: 'checks.usb', from: { mode: 'block' } },
      { path: 'evidence.exportRoles', from: ['admin', 'auditor'], to: ['admin'] },
    ]);
    expect(changes.map(formatChange)).toEqual([
      'checks.custom: added {"x":1}',
      'checks.firewall.graceHours: 72 → 24',
      'checks.usb: removed (was {"mode":"block"})',
      'evidence.exportRoles: ["admin","auditor"] → ["admin"]',
    ]);
  });
  it('no change, no lines; a long diff is capped and says how many more', () => {
    expect(policyDiff({ a: 1 }, { a: 1 }).changes).toEqual([]);
    const many = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`k${i}`, i]));
    const r = policyDiff({}, many, 10);
    expect(r.changes).toHaveLength(10);
    expect(r.truncated).toBe(20);
  });
});
