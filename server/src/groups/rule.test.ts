import { describe, expect, it } from 'vitest';
import { matchesRule, ruleProblem, type DeviceFacts } from './rule.js';

const dev: DeviceFacts = { platform: 'linux', hostname: 'SRV-042', tags: ['kiosk'], department: 'Finance', idpGroups: ['Engineering', 'Contractors'] };

describe('group rules', () => {
  it('every condition must hold; a list matches any value; case-insensitive', () => {
    expect(matchesRule({ platform: ['linux'] }, dev)).toBe(true);
    expect(matchesRule({ platform: ['darwin', 'win32'] }, dev)).toBe(false);
    expect(matchesRule({ idpGroup: ['contractors'] }, dev)).toBe(true);
    expect(matchesRule({ department: ['finance', 'legal'] }, dev)).toBe(true);
    expect(matchesRule({ department: ['legal'] }, dev)).toBe(false);
    expect(matchesRule({ tag: ['KIOSK'] }, dev)).toBe(true);
    expect(matchesRule({ tag: ['kiosk'], platform: ['win32'] }, dev)).toBe(false);
    expect(matchesRule({ department: ['Finance'] }, { ...dev, department: null })).toBe(false);
  });
  it('the hostname pattern matches the whole hostname under RE2', () => {
    expect(matchesRule({ hostname: 'srv-[0-9]+' }, dev)).toBe(true);
    expect(matchesRule({ hostname: 'srv' }, dev)).toBe(false); // not a substring match
    expect(matchesRule({ hostname: 'srv-[0-9]+' }, { ...dev, hostname: 'srv-042\nevil' })).toBe(false);
    expect(matchesRule({ hostname: '(a+)+$' }, { ...dev, hostname: 'a'.repeat(5000) + '!' })).toBe(false); // linear time, no hang
    expect(ruleProblem({ hostname: '(' })).toContain('rule.hostname');
    expect(ruleProblem({ hostname: '(?=x)' })).toContain('rule.hostname'); // lookahead is not RE2
    expect(ruleProblem({ hostname: 'ok.*' })).toBeNull();
  });
});
