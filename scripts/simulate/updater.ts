/**
 * A simulated agent's update client: the same requests the real agent's tuf-js client makes
 * to the collector on each check (the next root version, which is absent, then
 * timestamp.json; snapshot and targets only when the timestamp names a new snapshot), the
 * same release choice (shared/src/policy/release-choice.ts: channel, pin, staged %, pause),
 * and the download of the chosen target by its hash-prefixed name, checked against the
 * length and SHA-256 in targets.json.
 *
 * What it does not do (said in docs/benchmarks.md with the figure): verify the metadata
 * signatures (Ed25519 over four small files; cheap next to the network work measured here)
 * and swap a real binary: a simulated agent "installs" a version by reconnecting and
 * reporting it, as a restarted agent would.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { chooseRelease, type AgentTarget, type Choice } from '#shared/policy/release-choice.js';
import { listAgentTargets } from '#shared/policy/agent-targets.js';
import type { UpdateRollout } from '#shared/policy/updates.js';

interface TargetsJson {
  signed: { targets: Record<string, { length: number; hashes: { sha256: string }; custom?: { kind?: string; version?: string; channel?: string; target?: string } }> };
}

export interface UpdateCheck {
  choice: Choice;
  /** Bytes received for this check (metadata + target). */
  bytes: number;
  requests: number;
}

export class SimUpdateClient {
  private snapshotVersion = 0;
  private targets: AgentTarget[] = [];
  private files = new Map<string, { length: number; sha256: string }>();

  /**
   * `localAddress`: the agent's own source address (127.0.0.x), as for its socket: real laptops
   * each have their own, and the collector caps concurrent unauthenticated requests per source.
   */
  constructor(
    private readonly base: string,
    readonly target: string,
    private readonly deviceId: string,
    private readonly localAddress?: string,
  ) {}

  private get(path: string, c: { bytes: number; requests: number }): Promise<Buffer | null> {
    c.requests++;
    return new Promise((resolve, reject) => {
      const req = http.get(`${this.base}/updates/${path}`, { localAddress: this.localAddress, timeout: 60_000 }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('error', reject);
        res.on('end', () => {
          const b = Buffer.concat(parts);
          c.bytes += b.length;
          if (res.statusCode === 404) return resolve(null);
          // The status first: the simulator counts errors by their first 40 characters.
          if (res.statusCode !== 200) return reject(new Error(`http-${res.statusCode} GET /updates/${path}`));
          resolve(b);
        });
      });
      req.on('timeout', () => req.destroy(new Error(`timeout GET /updates/${path}`)));
      req.on('error', reject);
    });
  }

  /** One check: refresh metadata, choose, download and verify the chosen file. */
  async check(current: string, rollout: UpdateRollout): Promise<UpdateCheck> {
    const c = { bytes: 0, requests: 0 };
    await this.get('metadata/2.root.json', c); // tuf-js looks for the next root first (absent: 404)
    const ts = await this.get('metadata/timestamp.json', c);
    // No release signed yet: the real agent's refresh fails the same way and it stays.
    if (!ts) return { choice: { action: 'stay', reason: 'no release in the repository' }, ...c };
    const snapV = (JSON.parse(ts.toString()) as { signed: { meta: Record<string, { version: number }> } }).signed.meta['snapshot.json'].version;
    if (snapV !== this.snapshotVersion) {
      const snap = await this.get(`metadata/${snapV}.snapshot.json`, c);
      const tv = (JSON.parse(snap!.toString()) as { signed: { meta: Record<string, { version: number }> } }).signed.meta['targets.json'].version;
      const t = JSON.parse((await this.get(`metadata/${tv}.targets.json`, c))!.toString()) as TargetsJson;
      // The real agent's listing (the gzip target wins); the simulator checks the fetched
      // file's signed length and hash but does not decompress it.
      this.targets = listAgentTargets(t.signed.targets, { acceptGzip: true });
      this.files.clear();
      for (const x of this.targets) this.files.set(x.path, { length: t.signed.targets[x.path].length, sha256: t.signed.targets[x.path].hashes.sha256 });
      this.snapshotVersion = snapV;
    }
    const choice = chooseRelease(this.targets, { target: this.target, current, deviceId: this.deviceId, rollout });
    if (choice.action === 'update') {
      const f = this.files.get(choice.to.path)!;
      const dir = choice.to.path.slice(0, choice.to.path.lastIndexOf('/'));
      const name = choice.to.path.slice(choice.to.path.lastIndexOf('/') + 1);
      const data = await this.get(`targets/${dir}/${f.sha256}.${name}`, c);
      if (!data || data.length !== f.length || createHash('sha256').update(data).digest('hex') !== f.sha256) throw new Error(`target ${choice.to.path} does not match its signed length and hash`);
    }
    return { choice, ...c };
  }
}
