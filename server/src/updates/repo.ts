/**
 * The update repository on disk, in the layout The Update Framework's clients fetch with
 * consistent snapshots (TUF spec §5, tuf-js Updater):
 *   <repo>/metadata/N.root.json, N.targets.json, N.snapshot.json, timestamp.json
 *   <repo>/targets/agent/<version>/<target>/<sha256>.<file>      the executable
 *   <repo>/targets/agent/<version>/<target>/<sha256>.<file>.gz   the same, gzip (level 6)
 * Written by `npm run release` (offline keys: root, targets, snapshot) and by the collector's
 * timestamp refresher (online timestamp key). Every write is a temp file + rename, so a reader
 * (the collector serving /updates/) never sees half a file.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Metadata, MetaFile, Root, Snapshot, TargetFile, Targets, Timestamp, MetadataKind } from '@tufjs/models';
import type { SigningKey } from './tuf-keys.js';
import { AGENT_GZIP_KIND, AGENT_KIND, type UncompressedInfo } from '#shared/policy/agent-targets.js';

export const SPEC_VERSION = '1.0.31';
const DAY = 86_400_000;

/** Lifetimes of each role's metadata (why: docs/deploy.md "Signed updates"). */
export const LIFETIME_MS = { root: 365 * DAY, targets: 180 * DAY, snapshot: 180 * DAY, timestamp: DAY } as const;

/**
 * A TUF target's `custom` for an agent artefact (shared/src/policy/agent-targets.ts): the
 * executable (`posture-agent`) or its gzip form (`posture-agent-gzip`, with the executable's
 * length in bytes and lowercase hex SHA-256 in `uncompressed`).
 */
export interface AgentTargetCustom {
  kind: typeof AGENT_KIND | typeof AGENT_GZIP_KIND;
  version: string;
  channel: 'stable' | 'beta';
  target: string;
  nodeVersion?: string;
  commit?: string;
  encoding?: 'gzip';
  uncompressed?: UncompressedInfo;
}

export const metadataDir = (repo: string) => join(repo, 'metadata');
export const targetsDir = (repo: string) => join(repo, 'targets');
const iso = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

function writeAtomic(path: string, data: string | Buffer): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

function writeMeta(repo: string, name: string, md: Metadata<Root | Targets | Snapshot | Timestamp>): Buffer {
  const bytes = Buffer.from(JSON.stringify(md.toJSON(), null, 1));
  mkdirSync(metadataDir(repo), { recursive: true });
  writeAtomic(join(metadataDir(repo), name), bytes);
  return bytes;
}

/** Highest N of metadata/N.<role>.json (0 when none). */
export function latestVersion(repo: string, role: 'root' | 'targets' | 'snapshot'): number {
  if (!existsSync(metadataDir(repo))) return 0;
  let max = 0;
  for (const f of readdirSync(metadataDir(repo))) {
    const m = /^(\d+)\.(\w+)\.json$/.exec(f);
    if (m && m[2] === role) max = Math.max(max, Number(m[1]));
  }
  return max;
}

function readMeta<T extends MetadataKind>(repo: string, kind: T, file: string) {
  return Metadata.fromJSON(kind as MetadataKind.Root, JSON.parse(readFileSync(join(metadataDir(repo), file), 'utf8')));
}

export function readRoot(repo: string): Metadata<Root> {
  const v = latestVersion(repo, 'root');
  if (!v) throw new Error(`no update repository at ${repo} (run npm run release first)`);
  return readMeta(repo, MetadataKind.Root, `${v}.root.json`);
}

export function readTargets(repo: string): Metadata<Targets> | null {
  const v = latestVersion(repo, 'targets');
  return v ? (Metadata.fromJSON(MetadataKind.Targets, JSON.parse(readFileSync(join(metadataDir(repo), `${v}.targets.json`), 'utf8'))) as Metadata<Targets>) : null;
}

/**
 * A new repository: root v1 naming one key per role, threshold 1 (a larger fleet raises the
 * root threshold with more offline keys: docs/deploy.md), consistent snapshots on.
 */
export function initRepo(repo: string, keys: Record<'root' | 'targets' | 'snapshot' | 'timestamp', SigningKey>, now = Date.now()): Metadata<Root> {
  if (latestVersion(repo, 'root')) throw new Error(`${repo} already has a root; rotate keys with a new root version instead`);
  const root = new Root({ version: 1, specVersion: SPEC_VERSION, expires: iso(now + LIFETIME_MS.root), consistentSnapshot: true });
  for (const r of ['root', 'targets', 'snapshot', 'timestamp'] as const) root.addKey(keys[r].key, r);
  const md = new Metadata(root);
  md.sign(keys.root.signer);
  writeMeta(repo, '1.root.json', md);
  mkdirSync(targetsDir(repo), { recursive: true });
  return md;
}

export interface Artefact {
  /** Build target (`linux-x64`, ...). */
  target: string;
  file: string;
  nodeVersion?: string;
  commit?: string;
}

export const agentTargetPath = (version: string, target: string, file: string) => `agent/${version}/${target}/${basename(file)}`;

/**
 * Adds one release (every target's artefact) to the repository: copies each file under its
 * hash-prefixed name, and its gzip form (unless `compress: false`) under `<file>.gz` as a
 * second target whose signed custom carries the executable's length and SHA-256; writes
 * targets N+1 (signed by the targets key) and snapshot N+1 (signed by the snapshot key). The
 * timestamp is the online key's job (refreshTimestamp).
 *
 * Both forms are published because agents before session 4 list only the `posture-agent`
 * kind and download the executable; newer agents prefer the `posture-agent-gzip` kind, so an
 * old agent never sees a file it cannot run (docs/updates.md "Compressed targets").
 */
export function addRelease(
  repo: string,
  keys: { targets: SigningKey; snapshot: SigningKey },
  rel: { version: string; channel: 'stable' | 'beta'; artefacts: Artefact[]; compress?: boolean },
  now = Date.now(),
): { targetsVersion: number; snapshotVersion: number; paths: string[]; sizes: { target: string; bytes: number; gzipBytes: number | null }[] } {
  const prev = readTargets(repo);
  const tv = latestVersion(repo, 'targets') + 1;
  const targets = new Targets({ version: tv, specVersion: SPEC_VERSION, expires: iso(now + LIFETIME_MS.targets) });
  for (const t of Object.values(prev?.signed.targets ?? {})) if ((t.custom as Partial<AgentTargetCustom>).version !== rel.version) targets.addTarget(t);
  const paths: string[] = [];
  const sizes: { target: string; bytes: number; gzipBytes: number | null }[] = [];
  for (const a of rel.artefacts) {
    const data = readFileSync(a.file);
    const sha256 = createHash('sha256').update(data).digest('hex');
    const path = agentTargetPath(rel.version, a.target, a.file);
    const custom: AgentTargetCustom = { kind: AGENT_KIND, version: rel.version, channel: rel.channel, target: a.target, ...(a.nodeVersion ? { nodeVersion: a.nodeVersion } : {}), ...(a.commit ? { commit: a.commit } : {}) };
    targets.addTarget(new TargetFile({ path, length: data.length, hashes: { sha256 }, unrecognizedFields: { custom: custom as never } }));
    const dst = join(targetsDir(repo), 'agent', rel.version, a.target);
    mkdirSync(dst, { recursive: true });
    copyFileSync(a.file, join(dst, `${sha256}.${basename(a.file)}`));
    paths.push(path);
    let gzipBytes: number | null = null;
    if (rel.compress !== false) {
      // zlib's default level 6: on the linux-x64 agent 35.4 % of the executable in 6.3 s;
      // level 9 saves another 0.4 % for 2.7x the time (docs/benchmarks.md, Session 4 updates2).
      const gz = gzipSync(data, { level: 6 });
      const gzSha = createHash('sha256').update(gz).digest('hex');
      const gzPath = `${path}.gz`;
      const gzCustom: AgentTargetCustom = { ...custom, kind: AGENT_GZIP_KIND, encoding: 'gzip', uncompressed: { length: data.length, sha256 } };
      targets.addTarget(new TargetFile({ path: gzPath, length: gz.length, hashes: { sha256: gzSha }, unrecognizedFields: { custom: gzCustom as never } }));
      writeAtomic(join(dst, `${gzSha}.${basename(a.file)}.gz`), gz);
      paths.push(gzPath);
      gzipBytes = gz.length;
    }
    sizes.push({ target: a.target, bytes: data.length, gzipBytes });
  }
  const tmd = new Metadata(targets);
  tmd.sign(keys.targets.signer);
  writeMeta(repo, `${tv}.targets.json`, tmd);
  const sv = latestVersion(repo, 'snapshot') + 1;
  const snap = new Snapshot({ version: sv, specVersion: SPEC_VERSION, expires: iso(now + LIFETIME_MS.snapshot), meta: { 'targets.json': new MetaFile({ version: tv }) } });
  const smd = new Metadata(snap);
  smd.sign(keys.snapshot.signer);
  writeMeta(repo, `${sv}.snapshot.json`, smd);
  return { targetsVersion: tv, snapshotVersion: sv, paths, sizes };
}

export function readTimestamp(repo: string): Metadata<Timestamp> | null {
  const p = join(metadataDir(repo), 'timestamp.json');
  return existsSync(p) ? (Metadata.fromJSON(MetadataKind.Timestamp, JSON.parse(readFileSync(p, 'utf8'))) as Metadata<Timestamp>) : null;
}

/**
 * Re-signs timestamp.json when it is missing, names an older snapshot than the newest one, or
 * has less than half its lifetime left. Returns the new version, or null when nothing changed.
 * The new timestamp pins the snapshot's version, length and SHA-256 (TUF spec §5.4).
 */
export function refreshTimestamp(repo: string, key: SigningKey, o: { now?: number; lifetimeMs?: number; force?: boolean } = {}): number | null {
  const now = o.now ?? Date.now();
  const lifetime = o.lifetimeMs ?? LIFETIME_MS.timestamp;
  const sv = latestVersion(repo, 'snapshot');
  if (!sv) return null;
  const cur = readTimestamp(repo);
  const fresh = cur && cur.signed.snapshotMeta.version === sv && Date.parse(cur.signed.expires) - now > lifetime / 2;
  if (fresh && !o.force) return null;
  const snapBytes = readFileSync(join(metadataDir(repo), `${sv}.snapshot.json`));
  const version = (cur?.signed.version ?? 0) + 1;
  const ts = new Timestamp({
    version,
    specVersion: SPEC_VERSION,
    expires: iso(now + lifetime),
    snapshotMeta: new MetaFile({ version: sv, length: snapBytes.length, hashes: { sha256: createHash('sha256').update(snapBytes).digest('hex') } }),
  });
  const md = new Metadata(ts);
  md.sign(key.signer);
  writeMeta(repo, 'timestamp.json', md);
  return version;
}

/** Total bytes of a release's files (the update download size per target). */
export function fileSize(p: string): number {
  return statSync(p).size;
}
