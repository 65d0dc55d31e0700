/**
 * Attack pass (session 3): the local channel's socket in a directory other accounts can
 * change. The agent listens, then chmods the socket *by path* to 0666; in a world-writable
 * directory without the sticky bit another user can rename the socket away and put a symlink
 * there in between (chmod follows it), or stand a fake socket in for the agent. Required: the
 * agent does not listen there and says why (the run loop logs "local channel not available");
 * a sticky directory (/tmp) and the agent's own directories still work.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/db.js';
import { LocalChannelServer } from '../../agent/src/local/server.js';
import { createRunner } from '../../agent/src/exec/runner.js';

const isRoot = process.getuid?.() === 0;

function server(path: string) {
  return new LocalChannelServer({
    path,
    log: () => {},
    run: createRunner().run,
    platform: 'linux',
    handlers: { status: async () => ({}), open: async () => ({ url: 'u', expiresAt: 'e' }), checkNow: () => ({ queued: true, detail: '' }) },
  });
}

describe.skipIf(!isRoot)('local channel: no socket where another account can swap it', () => {
  const dir = tempDir('posture-sockdir-');
  chmodSync(dir, 0o755); // nobody may reach the directories below
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a world-writable parent without the sticky bit is refused, and nothing outside is chmodded', async () => {
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    // What nobody would do in there: the target the swapped-in symlink would point at.
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'root only\n', { mode: 0o600 });
    const s = server(join(open, 'agent.sock'));
    await expect(s.start()).rejects.toThrow(/writable by every user without the sticky bit/);
    await s.stop();
    expect(statSync(victim).mode & 0o777).toBe(0o600);
    // The directory is in fact nobody's to change: nobody plants a symlink there.
    const r = spawnSync('/usr/sbin/runuser', ['-u', 'nobody', '--', 'ln', '-s', victim, join(open, 'planted')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  it('a directory of another account is refused', async () => {
    const theirs = join(dir, 'theirs');
    mkdirSync(theirs);
    spawnSync('chown', ['nobody', theirs]);
    const s = server(join(theirs, 'agent.sock'));
    await expect(s.start()).rejects.toThrow(/belongs to uid 65534/);
    await s.stop();
  });

  it('a sticky world-writable directory and a private one still work', async () => {
    const sticky = join(dir, 'sticky');
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    for (const path of [join(sticky, 'agent.sock'), join(dir, 'agent.sock')]) {
      const s = server(path);
      await s.start();
      expect(statSync(path).isSocket()).toBe(true);
      expect(statSync(path).mode & 0o777).toBe(0o666);
      await s.stop();
    }
  });
});
