/**
 * The CLI side of the local channel: one request, one response line. Says whether an agent
 * answered, and if not, why (no socket, nobody listening, no permission, no answer in time),
 * so the CLI can fall back to reading the state directory itself.
 */
import { connect } from 'node:net';
import { isLocalResponse, isSealedResponse, MAX_RESPONSE_BYTES, type LocalRequest, type LocalResponse } from './protocol.js';
import { signRequest, unseal } from './proof/auth.js';
import type { ClientKey } from './proof/client-key.js';

export type AskResult =
  | { kind: 'answer'; response: LocalResponse }
  /** No agent answered. `why`: 'absent' (no socket/pipe), 'refused' (stale socket), 'denied' (cannot connect: permissions), 'timeout', 'broken'. */
  | { kind: 'none'; why: 'absent' | 'refused' | 'denied' | 'timeout' | 'broken'; detail: string };

/**
 * Send one request to the agent at `path` (socket path or \\.\pipe\ name); never throws.
 * With `key` (the secret-file proof, Windows) the request is signed and only an answer
 * sealed for it is believed: an unsealed success, or a sealed one that does not open with
 * this key, comes from something that is not the agent (a stand-in on the pipe) and is
 * reported as 'broken'. Unsealed refusals are passed on (the agent refuses before it knows
 * who asks), so their words are the only thing a stand-in can show.
 */
export function askAgent(path: string, request: LocalRequest, timeoutMs = 10_000, key?: ClientKey): Promise<AskResult> {
  const req: LocalRequest = key ? { ...request, auth: signRequest(request.type, key.id, key.secret) } : request;
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
      if (key && isSealedResponse(parsed)) {
        const opened = unseal(parsed.sealed, key.secret, req.auth!.nonce);
        let inner: unknown = null;
        try {
          inner = opened === null ? null : JSON.parse(opened);
        } catch {
          /* not JSON inside: treated as not sealed by the agent */
        }
        return finish(isLocalResponse(inner) ? { kind: 'answer', response: inner } : { kind: 'none', why: 'broken', detail: 'the answer on the local channel was not sealed with your secret: whatever answered is not the agent' });
      }
      if (key && isLocalResponse(parsed) && parsed.ok) return finish({ kind: 'none', why: 'broken', detail: 'an unsealed answer to a signed request: whatever answered is not the agent' });
      finish(isLocalResponse(parsed) ? { kind: 'answer', response: parsed } : { kind: 'none', why: 'broken', detail: 'the agent’s answer has an unknown shape' });
    });
    sock.on('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'ENOENT' ? 'absent' : e.code === 'ECONNREFUSED' ? 'refused' : e.code === 'EACCES' || e.code === 'EPERM' ? 'denied' : 'broken';
      finish({ kind: 'none', why, detail: `${path}: ${e.code ?? e.message}` });
    });
    sock.on('close', () => finish({ kind: 'none', why: 'broken', detail: 'the agent closed the connection without answering' }));
  });
}
