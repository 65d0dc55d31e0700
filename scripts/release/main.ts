/**
 * npm run release -- --version X.Y.Z [--channel stable|beta] [--artefacts dist/agent]
 *                    [--repo DIR] [--keys DIR]
 *
 * Adds the agent artefacts of every built target (DIR/<target>/manifest.json with this
 * version, from `npm run build:agent -- --target ... --version X.Y.Z`) to the TUF update
 * repository the collector serves at /updates/. The first run creates the repository and
 * the four role keys in --keys: keep root.pem, targets.pem and snapshot.pem offline; copy
 * timestamp.pem to the collector (POSTURE_UPDATES_TIMESTAMP_KEY), which keeps timestamp.json
 * fresh. While timestamp.pem is in --keys, the release also signs a first timestamp.
 * Each artefact is signed twice: the executable, and its gzip form that current agents
 * download (server/src/updates/repo.ts addRelease; docs/updates.md "Compressed targets").
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { addRelease, initRepo, latestVersion, refreshTimestamp, type Artefact } from '../../server/src/updates/repo.js';
import { loadOrCreateSigningKey, loadSigningKey } from '../../server/src/updates/tuf-keys.js';

export interface ReleaseOptions {
  version: string;
  channel: 'stable' | 'beta';
  artefactsDir: string;
  repo: string;
  keysDir: string;
}

export function release(o: ReleaseOptions): { artefacts: Artefact[]; sizes: { target: string; bytes: number; gzipBytes: number | null }[]; targetsVersion: number; snapshotVersion: number; timestampVersion: number | null; createdRepo: boolean } {
  if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$/.test(o.version)) throw new Error(`--version ${o.version}: expected MAJOR.MINOR.PATCH`);
  const artefacts: Artefact[] = [];
  for (const t of existsSync(o.artefactsDir) ? readdirSync(o.artefactsDir) : []) {
    const mf = join(o.artefactsDir, t, 'manifest.json');
    if (!existsSync(mf)) continue;
    const m = JSON.parse(readFileSync(mf, 'utf8')) as { version: string; target: string; file: string; nodeVersion: string; commit: string };
    if (m.version !== o.version) continue;
    artefacts.push({ target: m.target, file: join(o.artefactsDir, t, m.file), nodeVersion: m.nodeVersion, commit: m.commit });
  }
  if (!artefacts.length) throw new Error(`no artefacts of version ${o.version} in ${o.artefactsDir} (build them: npm run build:agent -- --target ... --version ${o.version})`);
  let createdRepo = false;
  if (!latestVersion(o.repo, 'root')) {
    const k = (r: string) => loadOrCreateSigningKey(join(o.keysDir, `${r}.pem`)).key;
    initRepo(o.repo, { root: k('root'), targets: k('targets'), snapshot: k('snapshot'), timestamp: k('timestamp') });
    createdRepo = true;
  }
  const r = addRelease(o.repo, { targets: loadSigningKey(join(o.keysDir, 'targets.pem')), snapshot: loadSigningKey(join(o.keysDir, 'snapshot.pem')) }, { version: o.version, channel: o.channel, artefacts });
  const tsKey = join(o.keysDir, 'timestamp.pem');
  const timestampVersion = existsSync(tsKey) ? refreshTimestamp(o.repo, loadSigningKey(tsKey)) : null;
  return { artefacts, ...r, timestampVersion, createdRepo };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  try {
    const { values } = parseArgs({ options: { version: { type: 'string' }, channel: { type: 'string' }, artefacts: { type: 'string' }, repo: { type: 'string' }, keys: { type: 'string' } } });
    if (!values.version) throw new Error('--version X.Y.Z is required');
    const channel = (values.channel ?? 'stable') as 'stable' | 'beta';
    if (channel !== 'stable' && channel !== 'beta') throw new Error('--channel must be stable or beta');
    const o: ReleaseOptions = {
      version: values.version,
      channel,
      artefactsDir: resolve(values.artefacts ?? 'dist/agent'),
      repo: resolve(values.repo ?? process.env.POSTURE_UPDATES_DIR ?? 'data/updates'),
      keysDir: resolve(values.keys ?? join(homedir(), '.posture-release-keys')),
    };
    const r = release(o);
    if (r.createdRepo) console.log(`created update repository ${o.repo} with keys in ${o.keysDir}: keep root.pem, targets.pem, snapshot.pem offline; copy timestamp.pem to the collector`);
    for (const a of r.artefacts) {
      const z = r.sizes.find((x) => x.target === a.target);
      console.log(`added ${a.target}: ${a.file}${z ? ` (${z.bytes} B${z.gzipBytes !== null ? `; gzip target ${z.gzipBytes} B, ${((100 * z.gzipBytes) / z.bytes).toFixed(1)} %` : ''})` : ''}`);
    }
    console.log(`targets v${r.targetsVersion}, snapshot v${r.snapshotVersion}${r.timestampVersion ? `, timestamp v${r.timestampVersion}` : ' (the collector signs the timestamp)'}`);
  } catch (e) {
    console.error(`release failed: ${(e as Error).message}`);
    process.exit(1);
  }
}
