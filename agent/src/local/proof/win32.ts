/**
 * Windows side of the secret-file proof: which accounts get a secret, how their files are
 * restricted (icacls), and how a client learns its own SID (whoami). Parsers are pure and
 * tested on outputs shaped like the real ones (proof.test.ts names each source). Never run on
 * a real Windows machine in this project's tests (docs/local-channel.md says what was).
 *
 * Why secrets at all: Node's named-pipe server (libuv) calls CreateNamedPipeW with a NULL
 * security descriptor (deps/uv/src/win/pipe.c), and the default DACL of a named pipe grants
 * full control to LocalSystem, Administrators and the creator owner and only read to
 * Everyone and Anonymous (learn.microsoft.com/windows/win32/ipc/named-pipe-security-and-access-rights),
 * so a standard user cannot even write a request. `listen({ readableAll, writableAll })`
 * (uv_pipe_chmod) sets one ACE for Everyone (SET_ACCESS: both flags, or Everyone loses read).
 * Node cannot ask who connected (no GetNamedPipeClientProcessId / ImpersonateNamedPipeClient
 * binding), and the pipe is reachable over SMB (libuv does not pass PIPE_REJECT_REMOTE_CLIENTS).
 * So the pipe is open and the proof is a file only the user can read: a remote (SMB) client
 * cannot read it, another local user cannot read it.
 */
import { mkdir } from 'node:fs/promises';
import { win32 } from 'node:path';
import type { RunFn } from '../../exec/runner.js';
import type { ProofGrant, ProofPrincipal } from './store.js';

/** LocalSystem: the service's account (well-known SID). */
export const SYSTEM_SID = 'S-1-5-18';
/** BUILTIN\Administrators. */
export const ADMINISTRATORS_SID = 'S-1-5-32-544';

/** Accounts of people: local and AD domain users (S-1-5-21-…), Microsoft Entra ID users (S-1-12-1-…). */
const PERSON_SID_RE = /^S-1-(5-21(-\d{1,10}){4}|12-1(-\d{1,10}){4})$/;

/**
 * `icacls` argv that makes `path` readable by `sid` and fully controlled by SYSTEM only:
 * `/inheritance:r` drops the inherited ACEs (from %ProgramData%, where Users may read and
 * create), `/grant:r` replaces any explicit grant. Directories pass their ACEs on to the
 * files created in them ((OI)(CI)), so a new secret file is never readable by others even
 * before its own icacls runs. Syntax: learn.microsoft.com/windows-server/administration/windows-commands/icacls
 * ("*" before a numeric SID).
 */
export function icaclsRestrictArgs(path: string, sid: string, kind: 'dir' | 'file'): string[] {
  const inh = kind === 'dir' ? '(OI)(CI)' : '';
  return [path, '/inheritance:r', '/grant:r', `*${sid}:${inh}(R)`, `*${SYSTEM_SID}:${inh}(F)`, '/q'];
}

/** The root: SYSTEM and Administrators only, owned by SYSTEM (a directory a user made first loses their owner rights). */
export function icaclsRootArgs(root: string): string[][] {
  return [
    [root, '/setowner', `*${SYSTEM_SID}`, '/q'],
    [root, '/inheritance:r', '/grant:r', `*${SYSTEM_SID}:(OI)(CI)(F)`, `*${ADMINISTRATORS_SID}:(OI)(CI)(F)`, '/q'],
  ];
}

/** ProofGrant running the real icacls through the agent's runner (allowlisted System32 path). */
export function icaclsGrant(run: RunFn): ProofGrant {
  const icacls = async (args: string[]) => {
    const r = await run('icacls', args, { timeoutMs: 15_000 });
    if (!r.ok) throw new Error(`icacls ${args.slice(1).join(' ')} failed: ${(r.stderr || r.stdout).trim().slice(0, 200) || r.error}`);
  };
  return {
    async prepareRoot(root) {
      await mkdir(root, { recursive: true });
      for (const a of icaclsRootArgs(root)) await icacls(a);
    },
    restrictDir: (dir, p) => icacls(icaclsRestrictArgs(dir, p.id, 'dir')),
    restrictFile: (file, p) => icacls(icaclsRestrictArgs(file, p.id, 'file')),
  };
}

/** The PowerShell command listing user profiles as JSON (Win32_UserProfile: SID, LocalPath, Special). */
export const PROFILES_COMMAND = 'Get-CimInstance -ClassName Win32_UserProfile | Where-Object { -not $_.Special } | Select-Object SID, LocalPath, Loaded | ConvertTo-Json -Compress';

/**
 * Pure: the people's accounts among `Get-CimInstance Win32_UserProfile … | ConvertTo-Json`
 * output (one object, or an array of them). Special profiles (SYSTEM, LocalService,
 * NetworkService) are excluded by the query and again here by SID shape; every profile on
 * the machine gets a secret, logged on now or not, so a user who logs on later is served
 * without waiting for a rescan. Throws when the text is not that JSON.
 */
export function parseProfiles(json: string): ProofPrincipal[] {
  const t = json.trim();
  if (!t) return [];
  const raw = JSON.parse(t) as unknown;
  const rows = Array.isArray(raw) ? raw : [raw];
  const out: ProofPrincipal[] = [];
  for (const r of rows) {
    const sid = (r as { SID?: unknown }).SID;
    const path = (r as { LocalPath?: unknown }).LocalPath;
    if (typeof sid !== 'string' || !PERSON_SID_RE.test(sid)) continue;
    out.push({ id: sid, name: typeof path === 'string' ? win32.basename(path) : sid });
  }
  return out;
}

/** The profiles, through the runner's PowerShell. */
export async function listProfiles(run: RunFn): Promise<ProofPrincipal[]> {
  const r = await run('powershell', ['-NoProfile', '-NonInteractive', '-Command', PROFILES_COMMAND], { timeoutMs: 30_000 });
  if (!r.ok) throw new Error(`listing user profiles failed: ${(r.stderr || r.error || '').toString().trim().slice(0, 200)}`);
  return parseProfiles(r.stdout);
}

/**
 * Pure: the SID from `whoami /user /fo csv /nh` (one line `"host\user","S-1-5-21-…"`),
 * or null. The SID is the user's even in an elevated prompt.
 */
export function parseWhoamiUser(out: string): { name: string; sid: string } | null {
  const line = out.split(/\r?\n/).find((l) => l.trim());
  const m = line ? /^"((?:[^"]|"")*)","(S-1-[\d-]+)"\s*$/.exec(line.trim()) : null;
  return m ? { name: m[1]!.replace(/""/g, '"'), sid: m[2]! } : null;
}
