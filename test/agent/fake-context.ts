/**
 * A ProbeContext over in-memory commands and files, for collector tests: each test
 * states exactly what the machine "prints", including the failure shapes (tool
 * missing, permission denied, timeout, empty output).
 */
import { readFileSync } from 'node:fs';
import type { Platform } from '../../shared/src/checks/ids.js';
import type { CommandName } from '../../agent/src/exec/allowlist.js';
import type { FileResult } from '../../agent/src/exec/files.js';
import type { RunResult } from '../../agent/src/exec/runner.js';
import type { ProbeContext } from '../../agent/src/checks/types.js';

type Cmd = Partial<RunResult> | ((args: string[]) => Partial<RunResult>);
type FileSpec = string | { error: 'not_found' | 'permission_denied' | 'timeout' | 'failed' };

export interface FakeOptions {
  platform?: Platform;
  commands?: Partial<Record<CommandName, Cmd>>;
  files?: Record<string, FileSpec>;
  links?: Record<string, string>;
  elevated?: boolean;
  now?: Date;
}

export const ok = (stdout: string, extra: Partial<RunResult> = {}): Partial<RunResult> => ({ ok: true, code: 0, stdout, stderr: '', error: null, ...extra });
export const fail = (error: RunResult['error'], stderr = '', code: number | null = 1): Partial<RunResult> => ({ ok: false, code, stdout: '', stderr, error });
export const fixture = (dir: string, name: string): string => readFileSync(new URL(`../../agent/src/checks/${dir}/fixtures/${name}`, import.meta.url), 'utf8');

export function fakeContext(o: FakeOptions = {}): ProbeContext & { calls: string[] } {
  const files = o.files ?? {};
  const calls: string[] = [];
  const dirEntries = (dir: string) => {
    const pre = dir.endsWith('/') ? dir : `${dir}/`;
    return [...new Set(Object.keys(files).filter((k) => k.startsWith(pre)).map((k) => k.slice(pre.length).split('/')[0]))].sort();
  };
  const missing = <T>(): FileResult<T> => ({ ok: false, error: 'not_found', message: 'ENOENT' });
  return {
    calls,
    platform: o.platform ?? 'linux',
    root: '',
    now: o.now ?? new Date('2024-04-20T12:00:00Z'),
    elevated: o.elevated ?? false,
    async run(name, args) {
      calls.push([name, ...args].join(' '));
      const spec = o.commands?.[name];
      const base: RunResult = { ok: false, code: null, stdout: '', stderr: `${name} is not installed`, error: 'not_found', command: name };
      if (!spec) return base;
      const r = typeof spec === 'function' ? spec(args) : spec;
      return { ...base, stderr: '', ...r, command: [name, ...args].join(' ') };
    },
    fs: {
      async read(path, maxBytes) {
        const f = files[path];
        if (f === undefined) return missing();
        if (typeof f !== 'string') return { ok: false, error: f.error, message: f.error };
        return { ok: true, value: maxBytes ? f.slice(0, maxBytes) : f };
      },
      async list(path) {
        const f = files[path];
        if (f && typeof f !== 'string') return { ok: false, error: f.error, message: f.error };
        const entries = dirEntries(path);
        return entries.length ? { ok: true, value: entries } : missing();
      },
      async stat(path) {
        if (typeof files[path] === 'string') return { ok: true, value: { mtimeMs: Date.parse('2024-04-18T08:00:00Z'), size: (files[path] as string).length, isDir: false } };
        return dirEntries(path).length ? { ok: true, value: { mtimeMs: 0, size: 0, isDir: true } } : missing();
      },
      async readlink(path) {
        const l = o.links?.[path];
        return l ? { ok: true, value: l } : missing();
      },
    },
  };
}
