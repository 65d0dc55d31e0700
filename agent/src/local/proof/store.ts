/**
 * The agent's side of the secret-file proof: one random secret per local user who may use
 * the channel, in a file only that user (and the agent's own account) can read, under
 * `root/<id>/secret`. A client that can read the file proves it runs as that user
 * (auth.ts); a user who cannot read another's file cannot speak for them. Platform-neutral:
 * the filesystem permissions come from a ProofGrant (win32-grant.ts: icacls; posix-grant.ts:
 * chown/chmod). Used by the Windows agent, whose pipe cannot tell who is on the other end.
 *
 * Secrets rotate at start() and every `rotateMs`; the previous secret stays valid for
 * `graceMs` so a client that read the file just before a rotation is not refused.
 */
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_CLOCK_SKEW_MS, macMatches, PRINCIPAL_ID_RE, SECRET_BYTES, type ProofAuth } from './auth.js';

/** A local account that may use the channel. `id` names its directory (SID or uid). */
export interface ProofPrincipal {
  id: string;
  /** For logs: DOMAIN\user, or the user name. */
  name: string;
  /** POSIX only: the owner the secret file is given to. */
  uid?: number;
  gid?: number;
}

/** How files are made readable by one principal and the agent only. Each method throws when it cannot. */
export interface ProofGrant {
  /** Make `root` the agent's own (no one else may add or change entries). */
  prepareRoot(root: string): Promise<void>;
  /** `root/<id>`: the principal may read (list) it, no one else but the agent. */
  restrictDir(dir: string, p: ProofPrincipal): Promise<void>;
  /** The secret file: read for the principal, full for the agent, nothing for anyone else. */
  restrictFile(file: string, p: ProofPrincipal): Promise<void>;
}

export interface ProofStoreOptions {
  root: string;
  grant: ProofGrant;
  /** The accounts to issue secrets to (Windows: user profiles, win32-grant.ts). */
  principals(): Promise<ProofPrincipal[]>;
  rotateMs?: number;
  graceMs?: number;
  log?: (level: 'info' | 'warn', msg: string) => void;
  now?: () => number;
}

interface Held {
  p: ProofPrincipal;
  current: Buffer;
  previous: { secret: Buffer; until: number } | null;
}

/** The answer to "who sent this request": the principal and the secret to seal the answer with, or why not. */
export type ProofVerdict = { ok: true; principal: ProofPrincipal; secret: Buffer } | { ok: false; why: string };

/** Most nonces remembered at once (each one accepted request within the skew window); beyond it requests are refused, not forgotten. */
export const MAX_REMEMBERED_NONCES = 8192;
/** ... and per principal, so one user's flood of `status` requests refuses only that user. */
export const MAX_REMEMBERED_NONCES_PER_PRINCIPAL = 1024;

export class ProofStore {
  private readonly held = new Map<string, Held>();
  /** Nonces of accepted requests → when they may be forgotten and whose they were. */
  private readonly seen = new Map<string, { until: number; id: string }>();
  private readonly seenPer = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private rotating: Promise<unknown> = Promise.resolve();
  private lastRescan = -Infinity;
  private readonly now: () => number;

  constructor(private readonly o: ProofStoreOptions) {
    this.now = o.now ?? Date.now;
  }

  /**
   * Prepare the root, issue secrets, and rotate them every rotateMs (15 min by default).
   * The root may have been made by someone else before the agent first ran (on Windows,
   * %ProgramData%'s ACL lets any user create it; attack pass S4-A3): a link (symlink or
   * junction) or file there is removed, never followed, and once the grant has made the
   * root the agent's alone, every entry already in it is removed, so each principal's
   * directory is one the agent creates. (Node's rm removes a link itself, not its target.)
   */
  async start(): Promise<void> {
    const root = this.o.root;
    const st = await lstat(root).catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return null;
      throw e;
    });
    if (st && !st.isDirectory()) {
      this.o.log?.('warn', `local channel: ${root} was not a directory (a link or file planted before the agent started); replaced`);
      await rm(root, { recursive: true, force: true });
    }
    await this.o.grant.prepareRoot(root);
    // Re-planted between the check and the grant (the parent is still writable by users): refuse.
    if (!(await lstat(root)).isDirectory()) throw new Error(`${root} is not a directory (a link planted while the agent started): local channel not available`);
    for (const e of await readdir(root)) await rm(join(root, e), { recursive: true, force: true });
    await this.rotate();
    this.timer = setInterval(() => void this.rotate(), this.o.rotateMs ?? 15 * 60_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Who holds a secret now (ids). */
  ids(): string[] {
    return [...this.held.keys()];
  }

  /**
   * New secrets for every principal listed now; principals no longer listed lose theirs
   * (file removed). One rotation at a time. Resolves with the ids issued and those that failed.
   */
  rotate(): Promise<{ issued: string[]; failed: { id: string; error: string }[] }> {
    const r = this.rotating.then(() => this.rotateNow());
    this.rotating = r.catch(() => undefined);
    return r;
  }

  private async rotateNow(): Promise<{ issued: string[]; failed: { id: string; error: string }[] }> {
    let list: ProofPrincipal[];
    try {
      list = await this.o.principals();
    } catch (e) {
      // Keep the secrets already issued: a failed listing must not lock everyone out.
      this.o.log?.('warn', `local channel: cannot list local users (${(e as Error).message}); secrets not rotated`);
      return { issued: [], failed: [] };
    }
    const issued: string[] = [];
    const failed: { id: string; error: string }[] = [];
    const wanted = new Set<string>();
    for (const p of list) {
      if (!PRINCIPAL_ID_RE.test(p.id)) {
        failed.push({ id: p.id, error: 'not a SID or uid' });
        continue;
      }
      wanted.add(p.id);
      try {
        const secret = await this.writeSecret(p);
        const before = this.held.get(p.id);
        this.held.set(p.id, { p, current: secret, previous: before ? { secret: before.current, until: this.now() + (this.o.graceMs ?? 60_000) } : null });
        issued.push(p.id);
      } catch (e) {
        failed.push({ id: p.id, error: (e as Error).message });
        // The new secret was never usable (its temporary file is removed, unrenamed). The
        // previous one, if any, stays: its file is untouched (only temporary files are ever
        // written), so its permissions are still the ones that were verified to apply.
      }
    }
    for (const id of [...this.held.keys()]) {
      if (wanted.has(id)) continue;
      this.held.delete(id);
      await rm(join(this.o.root, id), { recursive: true, force: true }).catch(() => undefined);
    }
    // Directories of accounts we did not issue to this time (stale, or planted): removed.
    for (const e of await readdir(this.o.root).catch(() => [] as string[])) {
      if (!this.held.has(e)) await rm(join(this.o.root, e), { recursive: true, force: true }).catch(() => undefined);
    }
    for (const f of failed) this.o.log?.('warn', `local channel: no secret for ${f.id}: ${f.error}`);
    return { issued, failed };
  }

  /**
   * Write a fresh secret for `p`: a new file created by the agent alone (O_EXCL, mode 0600,
   * inside a directory already restricted), then restricted to `p`, then renamed over the
   * old one, so the secret is never readable by anyone else at any moment.
   */
  private async writeSecret(p: ProofPrincipal): Promise<Buffer> {
    const dir = join(this.o.root, p.id);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    // Never restrict (icacls follows junctions) or write through a link.
    if (!(await lstat(dir)).isDirectory()) throw new Error(`${dir} is not a directory (a link?): not followed`);
    await this.o.grant.restrictDir(dir, p);
    const secret = randomBytes(SECRET_BYTES);
    const tmp = join(dir, `.secret-${randomBytes(6).toString('hex')}`);
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(secret.toString('base64url') + '\n');
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      await this.o.grant.restrictFile(tmp, p);
      await rename(tmp, join(dir, 'secret'));
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
    return secret;
  }

  /**
   * Who sent a request of `type` with `auth`: the principal whose current (or, within the
   * grace, previous) secret makes the MAC, with a fresh time and a nonce not seen before.
   * Every held secret of that id is compared in constant time.
   */
  verify(type: string, auth: ProofAuth): ProofVerdict {
    const now = this.now();
    if (Math.abs(now - auth.at) > MAX_CLOCK_SKEW_MS) return { ok: false, why: 'the request’s time is more than 2 minutes from the agent’s clock' };
    const h = this.held.get(auth.id);
    if (!h) {
      // A user who logged on for the first time since the last listing: list again soon (at
      // most once a minute, whoever asks; a rotation costs nothing but a rewrite).
      if (now - this.lastRescan >= 60_000) {
        this.lastRescan = now;
        void this.rotate();
      }
      return { ok: false, why: `the agent issued no secret to ${auth.id} yet (only local users with a profile get one; try again in a minute)` };
    }
    const candidates = [h.current, ...(h.previous && h.previous.until > now ? [h.previous.secret] : [])];
    let match: Buffer | null = null;
    for (const s of candidates) if (macMatches(type, auth, s) && !match) match = s;
    if (!match) return { ok: false, why: `the request was not signed with ${auth.id}’s current secret` };
    // Insertion order is expiry order (a fixed lifetime), so pruning stops at the first live one.
    for (const [n, e] of this.seen) {
      if (e.until >= now) break;
      this.seen.delete(n);
      const left = (this.seenPer.get(e.id) ?? 1) - 1;
      if (left > 0) this.seenPer.set(e.id, left);
      else this.seenPer.delete(e.id);
    }
    if (this.seen.has(auth.nonce)) return { ok: false, why: 'the request was replayed (its nonce was used before)' };
    const mine = this.seenPer.get(auth.id) ?? 0;
    if (mine >= MAX_REMEMBERED_NONCES_PER_PRINCIPAL || this.seen.size >= MAX_REMEMBERED_NONCES) return { ok: false, why: 'too many requests; try again in a few minutes' };
    this.seen.set(auth.nonce, { until: now + 2 * MAX_CLOCK_SKEW_MS, id: auth.id });
    this.seenPer.set(auth.id, mine + 1);
    return { ok: true, principal: h.p, secret: match };
  }
}
