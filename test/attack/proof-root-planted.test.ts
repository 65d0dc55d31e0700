/**
 * Attack pass (session 4, S4-A3): the Windows secret-file proof's root planted before the
 * agent first starts. `%ProgramData%\Posture\local` inherits ProgramData's ACL, in which
 * Users may create folders (and CREATOR OWNER gets full control of what they create), and
 * nothing but the agent's first start restricts it. A local user who creates it first
 * (before the rollout reaches the machine, or before the service's first start) as a
 * junction to another user's folder, or as a real folder holding a junction named after a
 * SID, had the SYSTEM agent: re-ACL the target (icacls follows junctions: the planter's
 * `<own SID>` junction → another user's Documents became readable by the planter), and run
 * its sweep of "stale" entries in the target (`readdir(root)` then `rm -r` of every entry
 * that is not a SID it issued to: another user's files deleted as SYSTEM).
 * Required: the store never follows a link at the root or at a principal's directory: a
 * planted link is removed (the link, not its target), a planted root is emptied once it is
 * the agent's, and every principal directory is one the agent created.
 * Mechanism on Linux with real files and links: the grant here follows links as icacls does
 * (chmod follows symlinks); the victim directory's mode and files must be untouched.
 */
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ProofStore, type ProofGrant } from '../../agent/src/local/proof/store.js';
import { loadClientKey } from '../../agent/src/local/proof/client-key.js';

/** Like icacls on Windows: applies to whatever the path resolves to (links followed). */
const followingGrant = (touched: string[]): ProofGrant => ({
  prepareRoot: async (r) => {
    mkdirSync(r, { recursive: true });
    touched.push(r);
    await chmod(r, 0o700);
  },
  restrictDir: async (d) => {
    touched.push(d);
    await chmod(d, 0o700);
  },
  restrictFile: async (f) => {
    touched.push(f);
    await chmod(f, 0o400);
  },
});

describe('a planted secret-file root is not followed', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const victimDir = (base: string) => {
    const v = join(base, 'victim-documents');
    mkdirSync(v);
    writeFileSync(join(v, 'payroll.xlsx'), 'salaries');
    mkdirSync(join(v, 'taxes'));
    chmodSync(v, 0o755);
    return v;
  };

  it('root planted as a link to another folder: the link is replaced, the folder untouched', async () => {
    const base = mkdtempSync(join(tmpdir(), 'posture-atk-proofroot-'));
    dirs.push(base);
    const victim = victimDir(base);
    const root = join(base, 'local');
    symlinkSync(victim, root, 'junction');
    const touched: string[] = [];
    const s = new ProofStore({ root, grant: followingGrant(touched), principals: async () => [{ id: '1001', name: 'planter' }] });
    await s.start();
    s.stop();
    expect(readdirSync(victim).sort()).toEqual(['payroll.xlsx', 'taxes']);
    expect(statSync(victim).mode & 0o777).toBe(0o755);
    expect(lstatSync(root).isSymbolicLink()).toBe(false);
    expect(lstatSync(root).isDirectory()).toBe(true);
    expect(await loadClientKey(root, '1001')).toHaveProperty('secret');
  });

  it("a SID-named link planted inside a pre-made root: removed, and the principal's directory is the agent's", async () => {
    const base = mkdtempSync(join(tmpdir(), 'posture-atk-proofroot-'));
    dirs.push(base);
    const victim = victimDir(base);
    const root = join(base, 'local');
    mkdirSync(root);
    symlinkSync(victim, join(root, '1001'), 'junction');
    writeFileSync(join(root, 'planted.txt'), 'x');
    const touched: string[] = [];
    const s = new ProofStore({ root, grant: followingGrant(touched), principals: async () => [{ id: '1001', name: 'planter' }] });
    await s.start();
    s.stop();
    expect(readdirSync(victim).sort()).toEqual(['payroll.xlsx', 'taxes']);
    expect(statSync(victim).mode & 0o777).toBe(0o755);
    expect(existsSync(join(victim, 'secret'))).toBe(false);
    expect(lstatSync(join(root, '1001')).isSymbolicLink()).toBe(false);
    expect(readdirSync(root).sort()).toEqual(['1001']);
    expect(await loadClientKey(root, '1001')).toHaveProperty('secret');
  });
});
