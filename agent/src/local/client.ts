/**
 * The CLI side of the local channel: one request, one response line. Says whether an agent
 * answered, and if not, why (no socket, nobody listening, no permission, no answer in time),
 * so the CLI can fall back to reading the state directory itself.
 */
import { connect } from 'node:net';
import { isLocalResponse, MAX_RESPONSE_BYTES, type LocalRequest, type LocalResponse } from './protocol.js';

export type AskResult =
  | { kind: 'answer'; response: LocalResponse }
  /** No agent answered. `why`: 'absent' (no socket/pipe), 'refused' (stale socket), 'denied' (cannot connect: permissions), 'timeout', 'broken'. */
  | { kind: 'none'; why: 'absent' | 'refused' | 'denied' | 'timeout' | 'broken'; detail: string };

/** Send one request to the agent at `path` (socket path or \\.\pipe\ name); never throws. */
export function askAgent(path: string, req: LocalRequest, timeoutMs = 10_000): Promise<AskResult> {
  return new Promise((resolve) => {
    let buf = '';
    let done = false;
    const finish = (r: AskResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const sock = connect(path);
    const timer = setTimeout(() => finish({ kind: 'none', why: 'timeout', detail: `no answer from the agent within ${timeoutMs / 1000} s` }), timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(JSON.stringify(req) + '\n'));
    sock.on('data', (d: string) => {
      buf += d;
      if (buf.length > MAX_RESPONSE_BYTES) return finish({ kind: 'none', why: 'broken', detail: 'the agent’s answer is too long' });
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(buf.slice(0, nl));
      } catch {
        return finish({ kind: 'none', why: 'broken', detail: 'the agent’s answer is not JSON' });
      }
      finish(isLocalResponse(parsed) ? { kind: 'answer', response: parsed } : { kind: 'none', why: 'broken', detail: 'the agent’s answer has an unknown shape' });
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'ENOENT' ? 'absent' : e.code === 'ECONNREFUSED' ? 'refused' : e.code === 'EACCES' || e.code === 'EPERM' ? 'denied' : 'broken';
      finish({ kind: 'none', why, detail: `${path}: ${e.code ?? e.message}` });
    });
    sock.on('close', () => finish({ kind: 'none', why: 'broken', detail: 'the agent closed the connection without answering' }));
  });
}
