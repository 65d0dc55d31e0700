import { describe, expect, it } from 'vitest';
import { fakeContext, ok } from '../../../../test/agent/fake-context.js';
import { parseJsonList, runPowerShell } from './powershell.js';

describe('runPowerShell', () => {
  it('runs without profile, non-interactive, bypassing execution policy; UTF-8 output is best effort (Constrained Language Mode)', async () => {
    let argv: string[] = [];
    const ctx = fakeContext({ platform: 'win32', commands: { powershell: (args) => ((argv = args), ok('{}')) } });
    await runPowerShell(ctx, 'Get-Date');
    expect(argv.slice(0, 5)).toEqual(['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command']);
    expect(argv[5]).toMatch(/try\{\[Console\]::OutputEncoding=\[Text\.Encoding\]::UTF8\}catch\{\};Get-Date$/);
    expect(argv[5]).toMatch(/^\$ErrorActionPreference='Stop'/);
  });
  it('JSON lists: BOM, single object, null, empty, garbage', () => {
    expect(parseJsonList('\uFEFF[{"a":1},{"a":2}]')).toHaveLength(2);
    expect(parseJsonList('{"a":1}')).toEqual([{ a: 1 }]);
    expect(parseJsonList('null')).toEqual([]);
    expect(parseJsonList('  ')).toEqual([]);
    expect(parseJsonList('Get-CimInstance : Invalid namespace')).toBeNull();
  });
});
