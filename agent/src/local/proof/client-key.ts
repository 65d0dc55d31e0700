/**
 * The CLI side of the secret-file proof: where the secrets are, which one is this user's,
 * and reading it. A user who cannot read the file gets no key (and the agent will refuse
 * them), never someone else's.
 */
import { readFile } from 'node:fs/promises';
import { join, win32 } from 'node:path';
import { parseSecret, PRINCIPAL_ID_RE } from './auth.js';
import { defaultStateDir } from '../../state/paths.js';
import { parseWhoamiUser } from './win32.js';
import type { RunFn } from '../../exec/runner.js';

/** A client's proof key: its principal id and secret. */
export interface ClientKey {
  id: string;
  secret: Buffer;
}

/**
 * The secrets' root for the agent with state in `stateDir`: the Windows service's
 * (%ProgramData%\Posture\agent) → %ProgramData%\Posture\local; any other → `<stateDir>-local`.
 */
export function proofRoot(stateDir: string, platform = process.platform): string {
  if (platform === 'win32') {
    const abs = win32.resolve(stateDir);
    if (abs.toLowerCase() === win32.resolve(defaultStateDir('win32')).toLowerCase()) return win32.join(win32.dirname(abs), 'local');
    return `${abs}-local`;
  }
  return `${stateDir.replace(/\/+$/, '')}-local`;
}

/** This process's principal id: its SID from whoami on Windows, its uid elsewhere; null when unknown. */
export async function ownPrincipalId(run: RunFn, platform = process.platform): Promise<string | null> {
  if (platform !== 'win32') return process.getuid ? String(process.getuid()) : null;
  const r = await run('whoami', ['/user', '/fo', 'csv', '/nh'], { timeoutMs: 10_000 });
  return r.ok ? (parseWhoamiUser(r.stdout)?.sid ?? null) : null;
}

/** Read `root/<id>/secret`; the reason in words when it cannot be used. */
export async function loadClientKey(root: string, id: string): Promise<ClientKey | { error: string }> {
  if (!PRINCIPAL_ID_RE.test(id)) return { error: `${id} is not a SID or uid` };
  const path = join(root, id, 'secret');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { error: code === 'ENOENT' ? `the agent has not issued a secret to you yet (${path} is missing)` : `cannot read ${path} (${code})` };
  }
  const secret = parseSecret(text);
  return secret ? { id, secret } : { error: `${path} does not hold a secret` };
}

/**
 * The key `status` / `open` sign with on Windows (the agent there identifies senders only by
 * proof): `key`, or `problem` in words when this user has none (the agent then refuses, and
 * the CLI adds the problem to the refusal). Neither elsewhere (the kernel says who connects).
 */
export async function clientKeyFor(stateDir: string, run: RunFn, platform = process.platform): Promise<{ key?: ClientKey; problem?: string }> {
  if (platform !== 'win32') return {};
  const id = await ownPrincipalId(run, platform);
  if (!id) return { problem: 'could not learn your account’s SID with whoami' };
  const k = await loadClientKey(proofRoot(stateDir, platform), id);
  return 'error' in k ? { problem: k.error } : { key: k };
}
