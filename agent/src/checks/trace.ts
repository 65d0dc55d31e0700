/**
 * `posture-agent check --explain`: per check, every command run and file read (with its
 * outcome and a short excerpt), what the collector extracted, and which rule decided.
 * The trace is built only when asked for: the normal cycle runs the plain context, so
 * explaining costs nothing in the daemon.
 */
import type { BuiltinCheckId, CheckId } from '../../../shared/src/checks/ids.js';
import type { FileResult } from '../exec/files.js';
import type { RunResult } from '../exec/runner.js';
import type { Observation, ProbeContext, Thresholds, Verdict } from './types.js';

export interface TraceEntry {
  op: 'run' | 'read' | 'list' | 'stat' | 'readlink';
  /** The command line as run, or the path (under the root prefix). */
  target: string;
  ok: boolean;
  error?: string | null;
  /** Exit code (commands). */
  code?: number | null;
  /** Bytes of output or file content seen. */
  bytes?: number;
  /** The start of what came back, control characters shown as \uFFFD, for the help desk. */
  excerpt?: string;
  ms: number;
}

export interface CheckTrace {
  /** Built-in or custom (custom checks trace their probe the same way, agent/src/checks/custom/run.ts). */
  id: CheckId;
  entries: TraceEntry[];
  facts: unknown;
  detail?: Record<string, unknown>;
  reason?: string;
  thresholds: Thresholds;
  verdict: Verdict;
}

export type TraceSink = (trace: CheckTrace) => void;

const EXCERPT = 240;
const excerpt = (s: string) => {
  const t = s.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '\uFFFD').trim();
  return t.length > EXCERPT ? `${t.slice(0, EXCERPT)}…` : t;
};

/** A context that records every command and file access into `entries`. */
export function tracedContext(ctx: ProbeContext, entries: TraceEntry[]): ProbeContext {
  const time = async <T>(f: () => Promise<T>): Promise<[T, number]> => {
    const t0 = performance.now();
    const v = await f();
    return [v, Math.round(performance.now() - t0)];
  };
  // The process table is read file by file (/proc/<pid>/comm, cmdline, status): one summary
  // line for those instead of hundreds.
  let procReads: TraceEntry | null = null;
  const file = <T>(op: TraceEntry['op'], path: string, r: FileResult<T>, ms: number, show: (v: T) => string) => {
    if (/^\/proc\/\d+\//.test(path)) {
      if (!procReads) entries.push((procReads = { op, target: '/proc/<pid>/… (process table)', ok: true, bytes: 0, excerpt: '0 files', ms: 0 }));
      const n = Number(procReads.excerpt!.split(' ')[0]) + 1;
      procReads.excerpt = `${n} files`;
      procReads.bytes! += r.ok ? show(r.value).length : 0;
      procReads.ms += ms;
      return r;
    }
    entries.push(r.ok ? { op, target: path, ok: true, bytes: show(r.value).length, excerpt: excerpt(show(r.value)), ms } : { op, target: path, ok: false, error: r.error, ms });
    return r;
  };
  return {
    ...ctx,
    run: async (name, args, opts) => {
      const [r, ms]: [RunResult, number] = await time(() => ctx.run(name, args, opts));
      const out = r.stdout || r.stderr;
      entries.push({ op: 'run', target: r.command && (r.command.includes(' ') || !args.length) ? r.command : [name, ...args].join(' '), ok: r.ok, error: r.error, code: r.code, bytes: r.stdout.length + r.stderr.length, excerpt: excerpt(out), ms });
      return r;
    },
    fs: {
      read: async (p, max) => {
        const [r, ms] = await time(() => ctx.fs.read(p, max));
        return file('read', p, r, ms, (v) => v);
      },
      list: async (p) => {
        const [r, ms] = await time(() => ctx.fs.list(p));
        return file('list', p, r, ms, (v) => v.join(' '));
      },
      stat: async (p) => {
        const [r, ms] = await time(() => ctx.fs.stat(p));
        return file('stat', p, r, ms, (v) => `${v.isDir ? 'dir' : 'file'} ${v.size} bytes, modified ${new Date(v.mtimeMs).toISOString()}`);
      },
      readlink: async (p) => {
        const [r, ms] = await time(() => ctx.fs.readlink(p));
        return file('readlink', p, r, ms, (v) => v);
      },
    },
  };
}

export function buildTrace(id: CheckId, entries: TraceEntry[], obs: Observation<BuiltinCheckId>, thresholds: Thresholds, verdict: Verdict): CheckTrace {
  return { id, entries, facts: obs.facts, detail: obs.detail, reason: obs.reason, thresholds, verdict };
}
