/**
 * ProofGrant with POSIX permissions: the root and each principal's directory belong to the
 * agent (root) with mode 0755 (others may enter, only the agent may add, rename or remove
 * entries); the secret file belongs to the principal with mode 0400, so another account
 * (not root) cannot read it. Used where the secret-file proof runs on Linux or macOS (the
 * tests exercise the whole mechanism this way with real accounts; see docs/local-channel.md).
 */
import { chmod, chown, lstat, mkdir } from 'node:fs/promises';
import type { ProofGrant, ProofPrincipal } from './store.js';

async function ownedByAgent(path: string): Promise<void> {
  const st = await lstat(path);
  if (!st.isDirectory()) throw new Error(`${path} is not a directory`);
  const self = process.getuid?.() ?? 0;
  // A directory another account made (before the agent started) could hold its files or links.
  if (st.uid !== self) await chown(path, self, process.getgid?.() ?? 0);
  await chmod(path, 0o755);
}

/** chown/chmod grants; `principal.uid`/`gid` are required for files. */
export const posixGrant: ProofGrant = {
  async prepareRoot(root) {
    await mkdir(root, { recursive: true, mode: 0o755 });
    await ownedByAgent(root);
  },
  async restrictDir(dir) {
    await ownedByAgent(dir);
  },
  async restrictFile(file, p: ProofPrincipal) {
    if (p.uid === undefined) throw new Error(`no uid for ${p.id}`);
    await chown(file, p.uid, p.gid ?? p.uid);
    await chmod(file, 0o400);
  },
};
