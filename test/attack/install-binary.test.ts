/**
 * Attack pass (session 3): `sudo ./posture-agent install` from a user's download folder. The
 * service definition runs the binary where it lies, as root, and self-update rewrites beside
 * it; the folder belongs to the user, so that user (or anything running as them) replaces the
 * file and the next start runs their code as root. A real second local user shows the file is
 * theirs to replace; install must refuse (dry run included) and say where to put the binary.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, chownSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runAgentCli } from '../helpers/agent.js';
import { tempDir } from '../helpers/db.js';

const USER = 'posture-atk-install'; // one user per test file: files run in parallel and each deletes its own
const isRoot = process.getuid?.() === 0;

describe.skipIf(!isRoot)('install refuses a binary another account can replace', () => {
  const home = tempDir('posture-home-');
  const downloads = join(home, 'Downloads');
  const bin = join(downloads, 'posture-agent');
  let createdUser = false;
  beforeAll(() => {
    if (spawnSync('id', ['-u', USER]).status !== 0) {
      const r = spawnSync('useradd', ['-M', '-s', '/usr/sbin/nologin', USER], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      createdUser = true;
    }
    const uid = Number(spawnSync('id', ['-u', USER], { encoding: 'utf8' }).stdout.trim());
    chmodSync(home, 0o755);
    mkdirSync(downloads, { mode: 0o755 });
    copyFileSync('/bin/true', bin);
    chmodSync(bin, 0o755);
    chownSync(downloads, uid, uid); // the user's folder; the file itself root's (sudo cp)
  });
  afterAll(() => {
    rmSync(home, { recursive: true, force: true });
    if (createdUser) spawnSync('userdel', [USER]);
  });

  it('the user can in fact replace the root-owned file in their folder', () => {
    const r = spawnSync('/usr/sbin/runuser', ['-u', USER, '--', 'sh', '-c', `cp /bin/false ${bin}.new && mv -f ${bin}.new ${bin}`], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(spawnSync(bin).status).toBe(1); // now /bin/false: theirs
  });

  it('install --dry-run --binary <user folder> is refused, naming the folder and where to copy it', async () => {
    const r = await runAgentCli(['install', '--dry-run', '--binary', bin]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`${downloads}(/posture-agent)? belongs to uid \\d+`));
    expect(r.stderr).toContain('/usr/local/bin/posture-agent');
    expect(r.stdout).not.toContain('would write');
  }, 120_000);

  it('a root-owned place is accepted (dry run prints the plan)', async () => {
    const safeDir = tempDir('posture-safe-'); // root 0700 under sticky /tmp
    try {
      copyFileSync('/bin/true', join(safeDir, 'posture-agent'));
      chmodSync(join(safeDir, 'posture-agent'), 0o755);
      const r = await runAgentCli(['install', '--dry-run', '--binary', join(safeDir, 'posture-agent')]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain('would write');
    } finally {
      rmSync(safeDir, { recursive: true, force: true });
    }
  }, 120_000);
});
