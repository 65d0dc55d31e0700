/**
 * The local channel served by the running agent (docs/local-channel.md): the machine's
 * users ask for this device's status and a My-device link without reading the agent's
 * 0700 state. The agent signs the link itself; the device key, and any token usable for
 * anything but this device's own page, never leave the process.
 *
 * Unix domain socket at localChannelPath(stateDir) (next to, not in, the state directory),
 * mode 0666 so local users can connect; each connection's peer uid is established
 * (peer.ts: Linux /proc + ss, macOS lsof) and logged, and refused when it cannot be.
 * Windows: a named pipe open to Everyone, where each request proves its sender with the
 * secret-file proof (proof/) and the answer is sealed for that sender; never run on a real
 * Windows machine here (docs/local-channel.md).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { chmodSync, lstatSync, mkdirSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { IDLE_TIMEOUT_MS, MAX_CONNECTIONS, MAX_CONNECTIONS_PER_UID, MAX_LINE_BYTES, MAX_REQUESTS_PER_CONNECTION, validateRequest, type LocalRequest, type LocalResponse } from './protocol.js';
import { identifyPeer, mayAsk, peerKey, type Peer } from './peer.js';
import type { RunFn } from '../exec/runner.js';
import type { ProofStore } from './proof/store.js';
import { seal } from './proof/auth.js';

type Log = (level: 'info' | 'warn' | 'error', msg: string, extra?: object) => void;

/** What the channel can do; the runtime supplies these (cli/run.ts). */
export interface LocalHandlers {
  status(): Promise<unknown>;
  /** A fresh My-device link and its expiry. */
  open(): Promise<{ url: string; expiresAt: string }>;
  checkNow(): { queued: boolean; detail: string };
}

export interface LocalServerOptions {
  path: string;
  handlers: LocalHandlers;
  log: Log;
  run: RunFn;
  platform?: string;
  /**
   * Identify senders by the secret-file proof instead of asking the kernel (Windows, where
   * the pipe cannot tell; the agent passes its store there). Answers to proven requests are sealed.
   */
  proof?: ProofStore;
}

/** What a handled request answers, and the secret/nonce to seal it with when its sender was proven. */
interface Answer {
  r: LocalResponse;
  sealFor?: { secret: Buffer; nonce: string };
}

/** A handler error meant for the user (revoked, not enrolled): its code and words are passed on. */
export class LocalRefusal extends Error {
  constructor(
    readonly code: 'not_enrolled' | 'revoked' | 'failed',
    message: string,
  ) {
    super(message);
  }
}

/** `open` and `check-now` of one uid (all its connections): at most this many per minute (links are cheap, but not free). */
export const MAX_ACTIONS_PER_MINUTE = 30;
/** ... and of all users together: a bound on the agent's work that one account cannot spend alone. */
export const MAX_ACTIONS_PER_MINUTE_TOTAL = 4 * MAX_ACTIONS_PER_MINUTE;

/**
 * Why another account could replace entries in the socket's directory, or null. The agent
 * chmods the socket by path after listening; in such a directory that path can be swapped
 * for a symlink in between (chmod follows it: 0666 on a file of the attacker's choice), and a
 * fake socket can stand in for the agent. A sticky directory (/tmp) does not let others
 * rename or remove the agent's own entries.
 */
export function parentOthersCanSwap(dir: string): string | null {
  const st = statSync(dir);
  const self = process.getuid?.() ?? 0;
  if (st.uid !== 0 && st.uid !== self) return `${dir} belongs to uid ${st.uid}`;
  if (st.mode & 0o022 && !(st.mode & 0o1000)) return `${dir} is writable by ${st.mode & 0o002 ? 'every user' : `group ${st.gid}`} without the sticky bit (mode ${(st.mode & 0o7777).toString(8)})`;
  return null;
}

export class LocalChannelServer {
  private server: Server | null = null;
  private readonly conns = new Set<Socket>();
  /** Times of `open`/`check-now` per user (peerKey: `uid:N` or `sid:S-…`). */
  private readonly actions = new Map<string | null, number[]>();
  /** Peer identifications run one at a time (each reads the process table). */
  private identifying: Promise<unknown> = Promise.resolve();
  /** Open identified connections per user (peerKey). */
  private readonly perUid = new Map<string, number>();

  constructor(private readonly o: LocalServerOptions) {}

  /** Listen; replaces a stale socket file (the caller holds the run lock, so no live agent owns it). */
  async start(): Promise<void> {
    const platform = this.o.platform ?? process.platform;
    if (platform !== 'win32') {
      // /run/<name>/ exists under systemd (RuntimeDirectory=); a manual root run creates it.
      mkdirSync(dirname(this.o.path), { recursive: true, mode: 0o755 });
      const unsafe = parentOthersCanSwap(dirname(this.o.path));
      if (unsafe) throw new Error(unsafe);
      try {
        if (lstatSync(this.o.path).isSocket()) unlinkSync(this.o.path);
      } catch {
        /* none there */
      }
    }
    const server = createServer((s) => this.accept(s));
    server.maxConnections = MAX_CONNECTIONS;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // Windows: uv_pipe_chmod sets one Everyone ACE (SET_ACCESS), so both flags, or Everyone
      // would lose the read the default DACL gives; without them a standard user cannot write.
      // Who may get what is then the proof's business, not the pipe's (proof/win32.ts).
      server.listen({ path: this.o.path, ...(platform === 'win32' ? { readableAll: true, writableAll: true } : {}) }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    // Any local user may connect; what each may get is decided per request (peer.ts).
    if (platform !== 'win32') chmodSync(this.o.path, 0o666);
    server.on('error', (e) => this.o.log('warn', `local channel: ${e.message}`));
    this.server = server;
    // An exit without stop() (the updater's restart exit): leave no socket that nobody serves.
    if (platform !== 'win32') process.once('exit', () => this.removeSocketFile());
  }

  /** Close every connection and the listener; the proof store's rotation timer stops with it. */
  async stop(): Promise<void> {
    this.o.proof?.stop();
    for (const c of this.conns) c.destroy();
    const s = this.server;
    this.server = null;
    if (s) await new Promise<void>((r) => s.close(() => r()));
    // net.Server removes its socket file on close; make sure (a crash leaves one, start() replaces it).
    if ((this.o.platform ?? process.platform) !== 'win32') this.removeSocketFile();
  }

  private removeSocketFile(): void {
    try {
      if (lstatSync(this.o.path).isSocket()) unlinkSync(this.o.path);
    } catch {
      /* gone */
    }
  }

  /** The peer of `sock`, identified after any identification already running; none for a connection already gone. */
  private identify(sock: Socket): Promise<Peer> {
    const p = this.identifying
      .then((): Promise<Peer> | Peer => (sock.destroyed ? { uid: null, pid: null, reason: 'the connection closed' } : identifyPeer(sock, this.o.path, this.o.run, this.o.platform)))
      .catch((e): Peer => ({ uid: null, pid: null, reason: (e as Error).message }));
    this.identifying = p;
    return p;
  }

  private accept(sock: Socket): void {
    this.conns.add(sock);
    sock.on('close', () => this.conns.delete(sock));
    sock.on('error', () => sock.destroy());
    // A deadline for each complete request, not an idle timer: trickled bytes do not extend it.
    let deadline = setTimeout(() => sock.destroy(), IDLE_TIMEOUT_MS);
    const extend = () => {
      clearTimeout(deadline);
      deadline = setTimeout(() => sock.destroy(), IDLE_TIMEOUT_MS);
    };
    sock.on('close', () => clearTimeout(deadline));
    // Done with a connection: send what is queued, then close both ways (a half-closed socket
    // whose client keeps writing would otherwise keep its slot).
    const finish = () => sock.end(() => sock.destroy());
    // One identification per connection; the per-user connection cap applies once it is known.
    const admit = (pp: Promise<Peer>): Promise<Peer> =>
      pp.then((p) => {
        const key = peerKey(p);
        if (key === null || sock.destroyed) return p;
        const n = this.perUid.get(key) ?? 0;
        if (n >= MAX_CONNECTIONS_PER_UID) {
          reply({ v: 1, ok: false, code: 'rate_limited', error: `at most ${MAX_CONNECTIONS_PER_UID} connections per user at once` });
          finish();
          // Its queued requests are answered by nobody and do no work.
          return { uid: null, pid: null, reason: `${key} has ${n} connections open already` };
        }
        this.perUid.set(key, n + 1);
        sock.on('close', () => {
          const left = (this.perUid.get(key) ?? 1) - 1;
          if (left > 0) this.perUid.set(key, left);
          else this.perUid.delete(key);
        });
        return p;
      });
    // Kernel-identified: from accept. Proof-identified: by the connection's first proven request.
    let peer: Promise<Peer> | null = this.o.proof ? null : admit(this.identify(sock));
    const peerFor = (proven: Peer): Promise<Peer> => (peer ??= admit(Promise.resolve(proven)));
    let buf = Buffer.alloc(0);
    let served = 0;
    let chain: Promise<void> = Promise.resolve();
    const reply = (r: LocalResponse, sealFor?: Answer['sealFor']) => {
      if (sock.destroyed || sock.writableEnded) return;
      extend();
      const json = JSON.stringify(r);
      sock.write((sealFor ? JSON.stringify({ v: 1, sealed: seal(json, sealFor.secret, sealFor.nonce) }) : json) + '\n');
    };
    sock.on('data', (d: Buffer) => {
      if (sock.writableEnded) return; // refused or finished: nothing more is read
      buf = Buffer.concat([buf, d]);
      for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10)) {
        const line = buf.subarray(0, nl).toString('utf8');
        buf = buf.subarray(nl + 1);
        extend();
        if (++served > MAX_REQUESTS_PER_CONNECTION) {
          chain = chain.then(() => {
            reply({ v: 1, ok: false, code: 'rate_limited', error: `at most ${MAX_REQUESTS_PER_CONNECTION} requests per connection` });
            finish();
          });
          buf = Buffer.alloc(0);
          return;
        }
        // In order, one at a time: a client cannot make the agent work on many requests at once.
        chain = chain.then(() => this.handle(line, peer, peerFor).then((a) => reply(a.r, a.sealFor)));
      }
      if (buf.length > MAX_LINE_BYTES) {
        reply({ v: 1, ok: false, code: 'bad_request', error: `request longer than ${MAX_LINE_BYTES} bytes` });
        finish();
        buf = Buffer.alloc(0);
      }
    });
  }

  /**
   * The proof-identified sender of `req`, or the refusal: no auth, a bad one, or a principal
   * other than the one this connection was first proven as.
   */
  private async proven(req: LocalRequest, peerP: Promise<Peer> | null, peerFor: (p: Peer) => Promise<Peer>): Promise<{ peer: Peer; sealFor: Answer['sealFor'] } | { refusal: string }> {
    if (!req.auth) return { refusal: 'this agent answers only requests signed with your secret (posture-agent does this; run it as yourself)' };
    const v = this.o.proof!.verify(req.type, req.auth);
    if (!v.ok) return { refusal: `the agent could not establish who is asking (${v.why}), so it answers nobody it cannot identify` };
    const mine: Peer = { uid: null, pid: null, reason: null, principal: v.principal.id, name: v.principal.name };
    const peer = await (peerP ?? peerFor(mine));
    if (peer.principal !== mine.principal) return { refusal: peer.principal ? 'one connection, one user: this connection was proven as another account' : (peer.reason ?? 'not identified') };
    return { peer, sealFor: { secret: v.secret, nonce: req.auth.nonce } };
  }

  private async handle(line: string, peerP: Promise<Peer> | null, peerFor: (p: Peer) => Promise<Peer>): Promise<Answer> {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      return { r: { v: 1, ok: false, code: 'bad_request', error: 'request is not JSON (one JSON object per line)' } };
    }
    const v = validateRequest.validate(raw);
    if (!v.ok) return { r: { v: 1, ok: false, code: 'bad_request', error: `bad request: ${v.errors.join('; ')}` } };
    const req: LocalRequest = v.value;
    let peer: Peer;
    let sealFor: Answer['sealFor'];
    if (this.o.proof) {
      const p = await this.proven(req, peerP, peerFor);
      if ('refusal' in p) {
        this.o.log('warn', `local channel: refused ${req.type}: ${p.refusal}`);
        return { r: { v: 1, ok: false, code: 'forbidden', error: p.refusal } };
      }
      ({ peer, sealFor } = p);
    } else peer = await peerP!;
    const r = await this.answer(req, peer);
    return { r, sealFor };
  }

  private async answer(req: LocalRequest, peer: Peer): Promise<LocalResponse> {
    const who = peer.principal ? `${peer.principal}${peer.name ? ` (${peer.name})` : ''}` : peer.uid === null ? `peer unverified (${peer.reason})` : `uid ${peer.uid}${peer.pid ? ` pid ${peer.pid}` : ''}`;
    const may = mayAsk(req.type, peer, { platform: this.o.platform });
    if (!may.ok) {
      this.o.log('warn', `local channel: refused ${req.type} for ${who}: ${may.why}`);
      return { v: 1, ok: false, code: 'forbidden', error: may.why };
    }
    if (req.type !== 'status') {
      const now = Date.now();
      let total = 0;
      for (const [uid, ts] of this.actions) {
        const recent = ts.filter((t) => now - t < 60_000);
        if (recent.length) this.actions.set(uid, recent);
        else this.actions.delete(uid);
        total += recent.length;
      }
      const key = peerKey(peer);
      const mine = this.actions.get(key) ?? [];
      // Per user first: one person's account spending the budget must not lock out the others.
      if (mine.length >= MAX_ACTIONS_PER_MINUTE || total >= MAX_ACTIONS_PER_MINUTE_TOTAL) return { v: 1, ok: false, code: 'rate_limited', error: `too many ${req.type} requests; try again in a minute` };
      this.actions.set(key, [...mine, now]);
    }
    this.o.log('info', `local channel: ${req.type} for ${who}`);
    try {
      if (req.type === 'status') return { v: 1, ok: true, type: 'status', status: await this.o.handlers.status() };
      if (req.type === 'open') return { v: 1, ok: true, type: 'open', ...(await this.o.handlers.open()) };
      return { v: 1, ok: true, type: 'check-now', ...this.o.handlers.checkNow() };
    } catch (e) {
      if (e instanceof LocalRefusal) return { v: 1, ok: false, code: e.code, error: e.message };
      this.o.log('warn', `local channel: ${req.type} failed: ${(e as Error).message}`);
      return { v: 1, ok: false, code: 'failed', error: `the agent could not answer (${(e as Error).message})` };
    }
  }
}
