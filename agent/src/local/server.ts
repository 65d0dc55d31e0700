/**
 * The local channel served by the running agent (docs/local-channel.md): the machine's
 * users ask for this device's status and a My-device link without reading the agent's
 * 0700 state. The agent signs the link itself; the device key, and any token usable for
 * anything but this device's own page, never leave the process.
 *
 * Unix domain socket at localChannelPath(stateDir) (next to, not in, the state directory),
 * mode 0666 so local users can connect; each connection's peer uid is established
 * (peer.ts) and logged, and refused on Linux when it cannot be. Windows: a named pipe
 * (code path only; not exercised by the tests here).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { chmodSync, lstatSync, mkdirSync, statSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { IDLE_TIMEOUT_MS, MAX_CONNECTIONS, MAX_CONNECTIONS_PER_UID, MAX_LINE_BYTES, MAX_REQUESTS_PER_CONNECTION, validateRequest, type LocalRequest, type LocalResponse } from './protocol.js';
import { identifyPeer, mayAsk, type Peer } from './peer.js';
import type { RunFn } from '../exec/runner.js';

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
  /** Times of `open`/`check-now` per uid (null: a peer not identified, off Linux). */
  private readonly actions = new Map<number | null, number[]>();
  /** Peer identifications run one at a time (each reads the process table). */
  private identifying: Promise<unknown> = Promise.resolve();
  /** Open identified connections per uid. */
  private readonly perUid = new Map<number, number>();

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
      server.listen(this.o.path, () => {
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

  async stop(): Promise<void> {
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
    const peer = this.identify(sock).then((p) => {
      if (p.uid === null || sock.destroyed) return p;
      const uid = p.uid;
      const n = this.perUid.get(uid) ?? 0;
      if (n >= MAX_CONNECTIONS_PER_UID) {
        reply({ v: 1, ok: false, code: 'rate_limited', error: `at most ${MAX_CONNECTIONS_PER_UID} connections per user at once` });
        finish();
        // Its queued requests are answered by nobody and do no work.
        return { uid: null, pid: null, reason: `uid ${uid} has ${n} connections open already` };
      }
      this.perUid.set(uid, n + 1);
      sock.on('close', () => {
        const left = (this.perUid.get(uid) ?? 1) - 1;
        if (left > 0) this.perUid.set(uid, left);
        else this.perUid.delete(uid);
      });
      return p;
    });
    let buf = Buffer.alloc(0);
    let served = 0;
    let chain: Promise<void> = Promise.resolve();
    const reply = (r: LocalResponse) => {
      if (sock.destroyed || sock.writableEnded) return;
      extend();
      sock.write(JSON.stringify(r) + '\n');
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
        chain = chain.then(() => this.handle(line, peer).then(reply));
      }
      if (buf.length > MAX_LINE_BYTES) {
        reply({ v: 1, ok: false, code: 'bad_request', error: `request longer than ${MAX_LINE_BYTES} bytes` });
        finish();
        buf = Buffer.alloc(0);
      }
    });
  }

  private async handle(line: string, peerP: Promise<Peer>): Promise<LocalResponse> {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      return { v: 1, ok: false, code: 'bad_request', error: 'request is not JSON (one JSON object per line)' };
    }
    const v = validateRequest.validate(raw);
    if (!v.ok) return { v: 1, ok: false, code: 'bad_request', error: `bad request: ${v.errors.join('; ')}` };
    const req: LocalRequest = v.value;
    const peer = await peerP;
    const who = peer.uid === null ? `peer unverified (${peer.reason})` : `uid ${peer.uid}${peer.pid ? ` pid ${peer.pid}` : ''}`;
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
      const mine = this.actions.get(peer.uid) ?? [];
      // Per uid first: one person's account spending the budget must not lock out the others.
      if (mine.length >= MAX_ACTIONS_PER_MINUTE || total >= MAX_ACTIONS_PER_MINUTE_TOTAL) return { v: 1, ok: false, code: 'rate_limited', error: `too many ${req.type} requests; try again in a minute` };
      this.actions.set(peer.uid, [...mine, now]);
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
