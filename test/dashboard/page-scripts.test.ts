/**
 * The dashboard's and My-device page's inline scripts are TypeScript template strings: an escape
 * written for TS (a bare \n inside a JS string literal) silently becomes a syntax error in the
 * browser and disables every button on every page. Compile each one (without running it).
 */
import { describe, expect, it } from 'vitest';
import * as dashboard from '../../server/src/dashboard/app-js.js';
import * as mydevice from '../../server/src/mydevice/page-js.js';

describe('inline page scripts parse', () => {
  const scripts = Object.entries({ ...dashboard, ...mydevice }).filter(([, v]) => typeof v === 'string') as [string, string][];
  it('there are scripts to check', () => expect(scripts.length).toBeGreaterThan(1));
  for (const [name, src] of scripts) {
    it(name, () => {
      expect(() => new Function(src)).not.toThrow();
    });
  }
});
