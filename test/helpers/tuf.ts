/**
 * Signs targets N+1 of a test's TUF repository (server/src/updates/repo.ts layout) with the
 * repository's real keys after `edit` changed it, then snapshot N+1 and a new timestamp. What a
 * compromised build machine or a release bug would publish: TUF accepts it (the keys signed
 * it), so whatever the agent must still refuse has to be refused by its own checks.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Metadata, MetaFile, Snapshot, TargetFile, Targets } from '@tufjs/models';
import { latestVersion, metadataDir, readTargets, refreshTimestamp, SPEC_VERSION, targetsDir } from '../../server/src/updates/repo.js';
import type { SigningKey } from '../../server/src/updates/tuf-keys.js';

/** A target file to add: its bytes are stored under the hash-prefixed name agents fetch. */
export interface ExtraTarget {
  path: string;
  data: Buffer;
  custom: Record<string, unknown>;
}

export function resignTargets(repo: string, keys: { targets: SigningKey; snapshot: SigningKey; timestamp: SigningKey }, o: { add?: ExtraTarget[]; edit?: (t: Targets) => void }): number {
  const prev = readTargets(repo)!;
  const tv = latestVersion(repo, 'targets') + 1;
  const expires = new Date(Date.now() + 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const t = new Targets({ version: tv, specVersion: SPEC_VERSION, expires });
  for (const f of Object.values(prev.signed.targets)) t.addTarget(f);
  for (const e of o.add ?? []) {
    const h = createHash('sha256').update(e.data).digest('hex');
    t.addTarget(new TargetFile({ path: e.path, length: e.data.length, hashes: { sha256: h }, unrecognizedFields: { custom: e.custom as never } }));
    const d = join(targetsDir(repo), e.path.slice(0, e.path.lastIndexOf('/')));
    mkdirSync(d, { recursive: true });
    writeFileSync(join(d, `${h}.${e.path.slice(e.path.lastIndexOf('/') + 1)}`), e.data);
  }
  o.edit?.(t);
  const tmd = new Metadata(t);
  tmd.sign(keys.targets.signer);
  writeFileSync(join(metadataDir(repo), `${tv}.targets.json`), JSON.stringify(tmd.toJSON()));
  const sv = latestVersion(repo, 'snapshot') + 1;
  const smd = new Metadata(new Snapshot({ version: sv, specVersion: SPEC_VERSION, expires, meta: { 'targets.json': new MetaFile({ version: tv }) } }));
  smd.sign(keys.snapshot.signer);
  writeFileSync(join(metadataDir(repo), `${sv}.snapshot.json`), JSON.stringify(smd.toJSON()));
  refreshTimestamp(repo, keys.timestamp, { force: true });
  return tv;
}
