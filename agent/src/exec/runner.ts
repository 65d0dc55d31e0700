/**
 * The one way the agent runs external programs. Commands are named, not pathed: the name
 * is looked up in the per-OS allowlist (allowlist.ts) and run by absolute path with an
 * argument array (never a shell), a timeout that kills the process, a cap on concurrent
 * processes and on captured output, and a C locale so text output is not translated.
 * `run` never throws: every failure is a RunResult with an `error` kind, because a
 * missing tool on an endpoint is a normal answer ("unknown"), not a crash.
 */
import { spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { allowlistFor, type Allowlist, type CommandName } from './allowlist.js';

export type RunError = 'not_found' | 'permission_denied' | 'timeout' | 'failed' | null;

export interface RunResult {
  ok: boolean;
  code: number | null;
  stdout: string;
  stderr: string;
  error: RunError;
  /** The command as run, for evidence ("/usr/sbin/nft -j list ruleset"). */
  command: string;
  truncated?: boolean;
}

export interface RunOptions {
  timeoutMs?: number;
  maxBytes?: number;
  /** Extra environment; the process environment with LC_ALL=C/LANG=C is the base. */
  env?: Record<string, string>;
  /** Written to stdin, then stdin is closed (stdin is otherwise closed at once). */
  input?: string;
}

export type RunFn = (name: CommandName, args: string[], opts?: RunOptions) => Promise<RunResult>;

export interface RunnerOptions {
  allowlist?: Allowlist;
  concurrency?: number;
  defaultTimeoutMs?: number;
  defaultMaxBytes?: number;
}

/** stderr wording of tools that refuse without root/admin. Exit code alone cannot tell. */
const PERMISSION_RE =
  /permission denied|operation not permitted|must be (run as )?root|are you root|requires? (root|superuser|administrator)|access is denied|was denied|administrative rights|administrator privileges|you need to be root|insufficient privileges/i;

export function createRunner(options: RunnerOptions = {}): { run: RunFn; resolve: (name: CommandName) => Promise<string | null> } {
  const allowlist = options.allowlist ?? allowlistFor(process.platform);
  const limit = Math.max(1, options.concurrency ?? 4);
  const defaultTimeout = options.defaultTimeoutMs ?? 10_000;
  const defaultMax = options.defaultMaxBytes ?? 2 * 1024 * 1024;
  const resolved = new Map<CommandName, Promise<string | null>>();
  let active = 0;
  const waiting: (() => void)[] = [];

  async function resolve(name: CommandName): Promise<string | null> {
    let p = resolved.get(name);
    if (!p) {
      p = (async () => {
        for (const candidate of allowlist[name] ?? []) {
          try {
            await access(candidate, constants.X_OK);
            return candidate;
          } catch {
            /* try the next candidate */
          }
        }
        return null;
      })();
      resolved.set(name, p);
    }
    return p;
  }

  async function slot(): Promise<() => void> {
    if (active >= limit) await new Promise<void>((r) => waiting.push(r));
    active++;
    return () => {
      active--;
      waiting.shift()?.();
    };
  }

  const run: RunFn = async (name, args, opts = {}) => {
    const base = { code: null, stdout: '', stderr: '', command: [name, ...args].join(' ') };
    if (!(name in allowlist)) return { ...base, ok: false, error: 'not_found', stderr: `command "${name}" is not in the allowlist` };
    const path = await resolve(name);
    if (!path) return { ...base, ok: false, error: 'not_found', stderr: `${name} is not installed` };
    const release = await slot();
    try {
      return await spawnOnce(path, args, opts.timeoutMs ?? defaultTimeout, opts.maxBytes ?? defaultMax, opts);
    } finally {
      release();
    }
  };
  return { run, resolve };
}

function spawnOnce(path: string, args: string[], timeoutMs: number, maxBytes: number, opts: RunOptions): Promise<RunResult> {
  const command = [path, ...args].join(' ');
  return new Promise((done) => {
    let settled = false;
    let timedOut = false;
    let truncated = false;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let bytes = 0;
    const finish = (r: Omit<RunResult, 'command'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      done({ ...r, command, ...(truncated ? { truncated } : {}) });
    };
    let child;
    try {
      child = spawn(path, args, {
        shell: false,
        windowsHide: true,
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, LC_ALL: 'C', LANG: 'C', ...opts.env },
      });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      done({ ok: false, code: null, stdout: '', stderr: String(e), error: code === 'EACCES' ? 'permission_denied' : 'failed', command });
      return;
    }
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      if (bytes + chunk.length > maxBytes) {
        into.push(chunk.subarray(0, Math.max(0, maxBytes - bytes)));
        bytes = maxBytes;
        truncated = true;
        child.kill('SIGKILL');
        return;
      }
      bytes += chunk.length;
      into.push(chunk);
    };
    child.stdout!.on('data', collect(out));
    child.stderr!.on('data', collect(err));
    child.stdin!.on('error', () => {}); // a tool that exits before reading stdin is fine
    child.stdin!.end(opts.input ?? undefined);
    child.on('error', (e: NodeJS.ErrnoException) => {
      const error: RunError = e.code === 'ENOENT' ? 'not_found' : e.code === 'EACCES' ? 'permission_denied' : 'failed';
      finish({ ok: false, code: null, stdout: '', stderr: e.message, error });
    });
    child.on('close', (code) => {
      // NUL cannot be stored by the collector (shared/src/schema/storable.ts): drop it at the source.
      const stdout = Buffer.concat(out).toString('utf8').replaceAll('\u0000', '');
      const stderr = Buffer.concat(err).toString('utf8').replaceAll('\u0000', '');
      if (timedOut) return finish({ ok: false, code, stdout, stderr, error: 'timeout' });
      if (code === 0 && !truncated) return finish({ ok: true, code, stdout, stderr, error: null });
      const denied = PERMISSION_RE.test(stderr) || (code !== 0 && PERMISSION_RE.test(stdout.slice(0, 2000)));
      finish({ ok: false, code, stdout, stderr, error: denied ? 'permission_denied' : 'failed' });
    });
  });
}

let shared: ReturnType<typeof createRunner> | null = null;

/** The process-wide runner (one concurrency cap for all checks). */
export function defaultRunner(): ReturnType<typeof createRunner> {
  shared ??= createRunner();
  return shared;
}

export { readText, listDir, statFile, readLink, resolveRoot, type FileResult, type FileOptions } from './files.js';
