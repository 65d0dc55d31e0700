/**
 * Signed self-update (The Update Framework through tuf-js):
 *  1. refresh the TUF metadata from <collector>/updates/ starting from the root compiled into
 *     this binary (signatures, thresholds, expiry, rollback and freeze protection);
 *  2. choose a release (shared/src/policy/release-choice.ts: channel, pinned version, staged percentage, pause);
 *  3. download it beside this binary; tuf-js checks its length and SHA-256 before the file is
 *     written, so an unverified file never reaches the staging name. A release's gzip target
 *     (shared/src/policy/agent-targets.ts) is preferred: its compressed bytes pass the same TUF
 *     check, then decompress.ts streams them out with the signed uncompressed length as a hard
 *     cap and checks the signed uncompressed SHA-256 before the file is renamed to the staging
 *     name; a gzip target without those signed figures is refused;
 *  4. the staged binary must print the expected `--version`, then runs a TRIAL: this agent
 *     stops its own link and lets the new binary connect and get one report acknowledged
 *     within the timeout. Only a binary that did so replaces this one (swap.ts: an atomic
 *     rename keeping <exe>.previous; on Windows <exe> is renamed to <exe>.old first) and this process exits with EX_TEMPFAIL (75) so the
 *     service manager (systemd Restart=always, launchd KeepAlive, WinSW onfailure restart)
 *     starts the new version. A trial that fails leaves the old binary untouched, deletes the
 *     staged file and resumes the old agent: the rollback needs nothing from the new version.
 * State of the last attempt: <state>/update/state.json (shown by `status`, sent to the collector).
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { stagedPath, swapBinary } from './swap.js';
import { basename, dirname, join } from 'node:path';
import { Updater } from 'tuf-js';
import type { UpdateRollout } from '#shared/policy/updates.js';
import { AgentFetcher } from './fetcher.js';
import { chooseRelease, type AgentTarget } from '#shared/policy/release-choice.js';
import { listAgentTargets, parseUncompressed } from '#shared/policy/agent-targets.js';
import { gunzipVerified } from './decompress.js';
import type { TlsSettings } from '../transport/tls.js';

export const EXIT_RESTART_FOR_UPDATE = 75;

export interface UpdateState {
  state: 'idle' | 'up-to-date' | 'refused' | 'rolled-back' | 'swapped' | 'committed';
  from?: string;
  to?: string;
  reason?: string;
  at: string;
}

export const updateDir = (stateDir: string) => join(stateDir, 'update');
const stateFile = (stateDir: string) => join(updateDir(stateDir), 'state.json');
export const trialFile = (stateDir: string) => join(updateDir(stateDir), 'trial-ok.json');

export function readUpdateState(stateDir: string): UpdateState | null {
  try {
    return JSON.parse(readFileSync(stateFile(stateDir), 'utf8')) as UpdateState;
  } catch {
    return null;
  }
}

export function writeUpdateState(stateDir: string, s: Omit<UpdateState, 'at'>): UpdateState {
  mkdirSync(updateDir(stateDir), { recursive: true, mode: 0o700 });
  const full = { ...s, at: new Date().toISOString() };
  writeFileSync(`${stateFile(stateDir)}.tmp`, JSON.stringify(full, null, 2));
  renameSync(`${stateFile(stateDir)}.tmp`, stateFile(stateDir));
  return full;
}

/** `${platform}-${arch}` in the build's naming (scripts/build/targets.ts). */
export function thisTarget(): string {
  return `${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`;
}

export interface UpdateOptions {
  stateDir: string;
  /** Collector base URL (http/https). */
  server: string;
  tls: TlsSettings;
  deviceId: string;
  currentVersion: string;
  /** The running executable, replaced on success. */
  exe: string;
  /** Initial trusted root.json (compiled in). */
  trustedRoot: string;
  rollout: UpdateRollout;
  /** Stop this agent's link and release its lock, so the trial can run; and undo that. */
  pause: () => Promise<void>;
  resume: () => Promise<void>;
  trialTimeoutMs?: number;
  /** Which swap sequence to use (swap.ts); process.platform by default. */
  platform?: NodeJS.Platform;
  log: (level: 'info' | 'warn' | 'error', msg: string) => void;
}

/** Refresh TUF metadata and list the verified agent targets (custom fields from targets.json). */
async function verifiedTargets(o: UpdateOptions): Promise<{ updater: Updater; targets: AgentTarget[] }> {
  const metaDir = join(updateDir(o.stateDir), 'metadata');
  mkdirSync(metaDir, { recursive: true, mode: 0o700 });
  // The first trusted root comes only from the binary; later ones by TUF root rotation.
  if (!existsSync(join(metaDir, 'root.json'))) writeFileSync(join(metaDir, 'root.json'), o.trustedRoot);
  const base = o.server.replace(/\/+$/, '');
  const updater = new Updater({
    metadataDir: metaDir,
    metadataBaseUrl: `${base}/updates/metadata/`,
    targetBaseUrl: `${base}/updates/targets/`,
    targetDir: updateDir(o.stateDir),
    fetcher: new AgentFetcher(o.tls),
  });
  await updater.refresh();
  // refresh() persisted targets.json only after verifying it; it lists what may be chosen,
  // and the chosen file is looked up again through the trusted set (getTargetInfo).
  const t = JSON.parse(readFileSync(join(metaDir, 'targets.json'), 'utf8')) as { signed: { targets: Record<string, { custom?: unknown }> } };
  // The compressed target of a release when it has one (about a third of the bytes to download).
  return { updater, targets: listAgentTargets(t.signed.targets, { acceptGzip: true }) };
}

function runTrial(exe: string, stateDir: string, version: string, timeoutMs: number): Promise<{ ok: boolean; reason: string }> {
  rmSync(trialFile(stateDir), { force: true });
  return new Promise((resolve) => {
    const child = spawn(exe, ['run', '--state-dir', stateDir, '--update-trial'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err = (err + d).slice(-400)));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve({ ok: false, reason: `version ${version} did not deliver a report within ${timeoutMs / 1000}s` });
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, reason: `version ${version} could not start: ${e.message}` });
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      let ok = false;
      try {
        ok = (JSON.parse(readFileSync(trialFile(stateDir), 'utf8')) as { version: string }).version === version;
      } catch {
        /* no proof written */
      }
      resolve(code === 0 && ok ? { ok: true, reason: 'trial report acknowledged' } : { ok: false, reason: `version ${version} exited (${signal ?? `code ${code}`}) before a report was acknowledged${err.trim() ? `: ${err.trim().split('\n').pop()}` : ''}` });
    });
  });
}

/**
 * One update attempt. Resolves with the resulting state; on 'swapped' the caller exits with
 * EXIT_RESTART_FOR_UPDATE. Never throws for a refused update: a refusal is a state.
 */
export async function updateOnce(o: UpdateOptions): Promise<UpdateState> {
  const from = o.currentVersion;
  // Just swapped in and not yet committed: the first acknowledged report of this version
  // commits it (cli/run.ts). An attempt now (an update-now resent when this version connects)
  // would overwrite 'swapped' with 'up-to-date' and the commit would never be recorded.
  // Nothing is written, and the answer is not 'swapped' (the controller exits on that).
  const prev = readUpdateState(o.stateDir);
  if (prev?.state === 'swapped' && prev.to === from) return { state: 'up-to-date', from, reason: `${from} was just installed; it is committed by its first acknowledged report`, at: new Date().toISOString() };
  let choice;
  let updater: Updater;
  try {
    const v = await verifiedTargets(o);
    updater = v.updater;
    choice = chooseRelease(v.targets, { target: thisTarget(), current: from, deviceId: o.deviceId, rollout: o.rollout });
  } catch (e) {
    return writeUpdateState(o.stateDir, { state: 'refused', from, reason: `update metadata refused: ${(e as Error).message}`.slice(0, 480) });
  }
  if (choice.action === 'stay') return writeUpdateState(o.stateDir, { state: 'up-to-date', from, reason: choice.reason });
  const to = choice.to.version;
  const staged = stagedPath(o.exe, o.platform ?? process.platform);
  rmSync(staged, { force: true });
  const compressed = `${staged}.gz`;
  try {
    const info = await updater.getTargetInfo(choice.to.path);
    if (!info) throw new Error(`${choice.to.path} is not in the signed targets`);
    if (choice.to.encoding === 'gzip') {
      // The signed uncompressed length and hash are required before a byte is fetched: without
      // them the decompressed file could be neither capped nor checked.
      const u = parseUncompressed(info.custom);
      if (!u.ok) throw new Error(`${choice.to.path}: ${u.reason}`);
      rmSync(compressed, { force: true });
      // tuf-js checks the compressed length and SHA-256 before it writes `compressed`.
      await updater.downloadTarget(info, compressed);
      // Decompressed beside the staging name, renamed only once length and hash match.
      await gunzipVerified(compressed, `${staged}.part`, u.value);
      rmSync(compressed, { force: true });
      renameSync(`${staged}.part`, staged);
    } else {
      await updater.downloadTarget(info, staged);
    }
  } catch (e) {
    for (const f of [staged, compressed, `${staged}.part`]) rmSync(f, { force: true });
    return writeUpdateState(o.stateDir, { state: 'refused', from, to, reason: `download refused: ${(e as Error).message}`.slice(0, 480) });
  }
  chmodSync(staged, 0o755);
  const ver = spawnSync(staged, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (ver.status !== 0 || ver.stdout.trim() !== to) {
    rmSync(staged, { force: true });
    return writeUpdateState(o.stateDir, { state: 'rolled-back', from, to, reason: `version ${to} failed its start check (${ver.status === 0 ? `printed ${ver.stdout.trim().slice(0, 40)}` : `exit ${ver.status ?? ver.signal}`})` });
  }
  o.log('info', `update ${from} -> ${to}: verified and staged; starting the trial`);
  await o.pause();
  const trial = await runTrial(staged, o.stateDir, to, o.trialTimeoutMs ?? 120_000);
  if (!trial.ok) {
    rmSync(staged, { force: true });
    const s = writeUpdateState(o.stateDir, { state: 'rolled-back', from, to, reason: trial.reason });
    await o.resume();
    return s;
  }
  // Keep the old binary for a manual or later rollback, then replace it (swap.ts: one rename
  // on POSIX; rename-away-then-in on Windows, where a running .exe cannot be overwritten).
  try {
    swapBinary({ exe: o.exe, staged, platform: o.platform ?? process.platform });
  } catch (e) {
    rmSync(staged, { force: true });
    const s = writeUpdateState(o.stateDir, { state: 'rolled-back', from, to, reason: `swap failed: ${(e as Error).message}`.slice(0, 480) });
    await o.resume();
    return s;
  }
  return writeUpdateState(o.stateDir, { state: 'swapped', from, to, reason: trial.reason });
}
