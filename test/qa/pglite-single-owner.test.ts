/**
 * Acceptance QA: two collectors on one embedded data directory (`npm start` twice, or a second
 * one on another PORT) each ran their own PGlite over the same files: neither saw the other's
 * writes (a user created on one was missing on the other) and the files were at risk on flush.
 * The second is now refused with a clear message; a lock left by a kill -9 is taken over.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, spawnCollectorProcess } from '../helpers/collector.js';
import { freePort, tempDir } from '../helpers/db.js';

describe('one collector per embedded data directory', () => {
  const dir = tempDir('qa-pglite-owner-');
  const kill: (() => void)[] = [];
  afterAll(() => kill.forEach((k) => k()));

  it('refuses a second collector on the same POSTURE_DATA_DIR, then starts once the first was killed -9', async () => {
    const first = spawnCollectorProcess({ PORT: String(await freePort()), POSTURE_DATA_DIR: dir });
    kill.push(() => first.child.kill('SIGKILL'));
    const url = await first.ready;

    const second = spawnCollectorProcess({ PORT: String(await freePort()), POSTURE_DATA_DIR: dir });
    kill.push(() => second.child.kill('SIGKILL'));
    const code = await new Promise<number | null>((r) => second.child.once('exit', r));
    second.ready.catch(() => {});
    expect(code).toBe(1);
    expect(second.output()).toMatch(new RegExp(`another Posture collector \\(pid ${first.child.pid}\\) is using the embedded store`));
    // The first one is unharmed.
    expect((await fetch(`${url}/api/v1/devices`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(200);

    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    const third = spawnCollectorProcess({ PORT: String(await freePort()), POSTURE_DATA_DIR: dir });
    kill.push(() => third.child.kill('SIGKILL'));
    const url3 = await third.ready;
    expect((await fetch(`${url3}/api/v1/devices`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })).status).toBe(200);
  }, 120_000);
});
