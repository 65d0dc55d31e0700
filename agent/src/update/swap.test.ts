/**
 * The binary swap on the real file system of this machine, both sequences: POSIX (rename over,
 * keep .previous) and Windows (rename the running exe to .old, move the staged one in, rename
 * back if that fails), chosen by the platform parameter the updater passes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeSwapFs, previousPath, stagedPath, swapBinary, type SwapFs } from './swap.js';

let dir = '';
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});
function setup(name: string) {
  dir = mkdtempSync(join(tmpdir(), 'posture-swap-'));
  const exe = join(dir, name);
  writeFileSync(exe, 'v1');
  return exe;
}

describe('binary swap', () => {
  it('names the staged file with .exe on Windows (so it can be started) and hidden elsewhere', () => {
    expect(stagedPath('C:\\Program Files\\Posture\\posture-agent.exe'.replace(/\\/g, '/'), 'win32')).toBe('C:/Program Files/Posture/posture-agent.staged.exe');
    expect(stagedPath('/opt/posture-agent/bin/posture-agent', 'linux')).toBe('/opt/posture-agent/bin/.posture-agent.staged');
    expect(previousPath('/x/posture-agent.exe', 'win32')).toBe('/x/posture-agent.exe.old');
  });

  it('POSIX: the staged binary replaces exe, the old one is kept as .previous', () => {
    const exe = setup('posture-agent');
    const staged = stagedPath(exe, 'linux');
    writeFileSync(staged, 'v2');
    expect(swapBinary({ exe, staged, platform: 'linux' }).previous).toBe(`${exe}.previous`);
    expect(readFileSync(exe, 'utf8')).toBe('v2');
    expect(readFileSync(`${exe}.previous`, 'utf8')).toBe('v1');
    expect(existsSync(staged)).toBe(false);
  });

  it('Windows: renames the running exe to .old (replacing a leftover), moves the staged one in', () => {
    const exe = setup('posture-agent.exe');
    writeFileSync(`${exe}.old`, 'v0');
    const staged = stagedPath(exe, 'win32');
    writeFileSync(staged, 'v2');
    const ops: string[] = [];
    // The real fs, with each call recorded: the order is what makes it work on Windows
    // (no write to or delete of the running image, only renames of it).
    const traced: SwapFs = {
      rename: (a, b) => (ops.push(`rename ${a.slice(dir.length + 1)} -> ${b.slice(dir.length + 1)}`), nodeSwapFs.rename(a, b)),
      remove: (p) => (ops.push(`remove ${p.slice(dir.length + 1)}`), nodeSwapFs.remove(p)),
      link: nodeSwapFs.link,
      copy: nodeSwapFs.copy,
      exists: nodeSwapFs.exists,
    };
    expect(swapBinary({ exe, staged, platform: 'win32', fs: traced }).previous).toBe(`${exe}.old`);
    expect(ops).toEqual(['remove posture-agent.exe.old', 'rename posture-agent.exe -> posture-agent.exe.old', 'rename posture-agent.staged.exe -> posture-agent.exe']);
    expect(readFileSync(exe, 'utf8')).toBe('v2');
    expect(readFileSync(`${exe}.old`, 'utf8')).toBe('v1');
  });

  it('Windows: when the new binary cannot be moved in, the old one is renamed back', () => {
    const exe = setup('posture-agent.exe');
    // No staged file: the second rename fails (ENOENT), as a file held open by an antivirus scan would.
    expect(() => swapBinary({ exe, staged: stagedPath(exe, 'win32'), platform: 'win32' })).toThrow(/could not move the new binary into place \(ENOENT.*posture-agent\.exe was restored/);
    expect(readFileSync(exe, 'utf8')).toBe('v1');
    expect(existsSync(`${exe}.old`)).toBe(false);
  });
});
