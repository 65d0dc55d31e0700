import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { macMatches, parseSecret, seal, signRequest, unseal, MAX_CLOCK_SKEW_MS } from './auth.js';
import { icaclsRestrictArgs, icaclsRootArgs, parseProfiles, parseWhoamiUser } from './win32.js';
import { clientKeyFor, loadClientKey, proofRoot } from './client-key.js';
import type { RunFn } from '../../exec/runner.js';
import { MAX_REMEMBERED_NONCES_PER_PRINCIPAL, ProofStore, type ProofGrant } from './store.js';
import { validateRequest } from '../protocol.js';

const SECRET = Buffer.alloc(32, 7);
const OTHER = Buffer.alloc(32, 8);

describe('proof crypto', () => {
  it('a MAC binds type, principal, nonce and time; a sealed answer opens only with the same secret and nonce', () => {
    const a = signRequest('open', 'S-1-5-21-1-2-3-1001', SECRET, 1_000);
    expect(macMatches('open', a, SECRET)).toBe(true);
    expect(macMatches('status', a, SECRET)).toBe(false); // another request type
    expect(macMatches('open', { ...a, id: 'S-1-5-21-1-2-3-1002' }, SECRET)).toBe(false); // another user claimed
    expect(macMatches('open', { ...a, at: 1_001 }, SECRET)).toBe(false);
    expect(macMatches('open', a, OTHER)).toBe(false);
    expect(macMatches('open', { ...a, mac: 'AAAA' }, SECRET)).toBe(false); // wrong length, no throw
    // The request as the schema sees it (lengths and alphabets bounded).
    expect(validateRequest.validate({ v: 1, type: 'open', auth: a }).ok).toBe(true);
    expect(validateRequest.validate({ v: 1, type: 'open', auth: { ...a, id: '../../etc' } }).ok).toBe(false);
    const s = seal('{"v":1,"ok":true}', SECRET, a.nonce);
    expect(unseal(s, SECRET, a.nonce)).toBe('{"v":1,"ok":true}');
    expect(unseal(s, OTHER, a.nonce)).toBeNull();
    expect(unseal(s, SECRET, signRequest('open', 'x', SECRET).nonce)).toBeNull(); // another request's answer
    const flipped = Buffer.from(s, 'base64url');
    flipped[flipped.length - 1]! ^= 1;
    expect(unseal(flipped.toString('base64url'), SECRET, a.nonce)).toBeNull();
    expect(parseSecret(SECRET.toString('base64url') + '\n')).toEqual(SECRET);
    expect(parseSecret('short')).toBeNull();
  });
});

describe('Windows commands (shapes of the real outputs)', () => {
  it('whoami /user /fo csv /nh → the SID', () => {
    // Shape: `whoami /user /fo csv /nh` on Windows 10/11 (Microsoft's whoami reference,
    // learn.microsoft.com/windows-server/administration/windows-commands/whoami): one CSV row, both fields quoted, CRLF.
    expect(parseWhoamiUser('"desktop-7q2k1\\alice","S-1-5-21-1004336348-1177238915-682003330-1001"\r\n')).toEqual({ name: 'desktop-7q2k1\\alice', sid: 'S-1-5-21-1004336348-1177238915-682003330-1001' });
    expect(parseWhoamiUser('"AzureAD\\BobSmith","S-1-12-1-1234567890-1234567890-1234567890-1234567890"\r\n')?.sid).toBe('S-1-12-1-1234567890-1234567890-1234567890-1234567890');
    // The table format (no /fo csv) or an error is no answer.
    expect(parseWhoamiUser('USER INFORMATION\r\n----------------\r\n\r\nUser Name SID\r\n')).toBeNull();
    expect(parseWhoamiUser('')).toBeNull();
  });

  it('Win32_UserProfile JSON → people’s accounts only', () => {
    // Shape: `Get-CimInstance Win32_UserProfile | Select-Object SID, LocalPath, Loaded | ConvertTo-Json -Compress`
    // (properties per Microsoft's Win32_UserProfile class reference): an array, or a bare object for one profile.
    const many = JSON.stringify([
      { SID: 'S-1-5-21-1004336348-1177238915-682003330-1001', LocalPath: 'C:\\Users\\alice', Loaded: true },
      { SID: 'S-1-5-21-1004336348-1177238915-682003330-500', LocalPath: 'C:\\Users\\Administrator', Loaded: false },
      { SID: 'S-1-12-1-1234567890-1234567890-1234567890-1234567890', LocalPath: 'C:\\Users\\BobSmith', Loaded: true },
      // Special profiles if the filter were missing: never issued a secret.
      { SID: 'S-1-5-18', LocalPath: 'C:\\Windows\\system32\\config\\systemprofile', Loaded: true },
      { SID: 'S-1-5-20', LocalPath: 'C:\\Windows\\ServiceProfiles\\NetworkService', Loaded: true },
    ]);
    expect(parseProfiles(many).map((p) => [p.id, p.name])).toEqual([
      ['S-1-5-21-1004336348-1177238915-682003330-1001', 'alice'],
      ['S-1-5-21-1004336348-1177238915-682003330-500', 'Administrator'],
      ['S-1-12-1-1234567890-1234567890-1234567890-1234567890', 'BobSmith'],
    ]);
    expect(parseProfiles('{"SID":"S-1-5-21-1-2-3-1001","LocalPath":"C:\\\\Users\\\\solo","Loaded":false}')).toEqual([{ id: 'S-1-5-21-1-2-3-1001', name: 'solo' }]);
    expect(parseProfiles('')).toEqual([]);
    expect(() => parseProfiles('Get-CimInstance : Access denied')).toThrow();
  });

  it('icacls argv: inheritance removed, read for the user, full for SYSTEM; root SYSTEM-owned', () => {
    const sid = 'S-1-5-21-1-2-3-1001';
    expect(icaclsRestrictArgs('C:\\ProgramData\\Posture\\local\\' + sid, sid, 'dir')).toEqual(['C:\\ProgramData\\Posture\\local\\' + sid, '/inheritance:r', '/grant:r', `*${sid}:(OI)(CI)(R)`, '*S-1-5-18:(OI)(CI)(F)', '/q']);
    expect(icaclsRestrictArgs('f', sid, 'file')).toEqual(['f', '/inheritance:r', '/grant:r', `*${sid}:(R)`, '*S-1-5-18:(F)', '/q']);
    expect(icaclsRootArgs('r')).toEqual([
      ['r', '/setowner', '*S-1-5-18', '/q'],
      ['r', '/inheritance:r', '/grant:r', '*S-1-5-18:(OI)(CI)(F)', '*S-1-5-32-544:(OI)(CI)(F)', '/q'],
    ]);
  });

  it('the secrets live beside the state: %ProgramData%\\Posture\\local for the service', () => {
    const pd = process.env.ProgramData;
    process.env.ProgramData = 'C:\\ProgramData';
    try {
      expect(proofRoot('C:\\ProgramData\\Posture\\agent', 'win32')).toBe('C:\\ProgramData\\Posture\\local');
      expect(proofRoot('D:\\agents\\two', 'win32')).toBe('D:\\agents\\two-local');
      expect(proofRoot('/srv/agent/', 'linux')).toBe('/srv/agent-local');
    } finally {
      if (pd === undefined) delete process.env.ProgramData;
      else process.env.ProgramData = pd;
    }
  });
});

describe('the CLI’s key', () => {
  it('only on Windows; a missing SID or file is a problem in words, not a crash', async () => {
    const whoami = (stdout: string, ok = true): RunFn => (async () => ({ ok, code: ok ? 0 : 1, stdout, stderr: '', error: ok ? null : 'failed', command: 'whoami' })) as RunFn;
    expect(await clientKeyFor('/var/lib/posture-agent', whoami(''), 'linux')).toEqual({});
    expect(await clientKeyFor('C:\\ProgramData\\Posture\\agent', whoami('', false), 'win32')).toEqual({ problem: expect.stringContaining('whoami') });
    const r = await clientKeyFor('C:\\ProgramData\\Posture\\agent', whoami('"pc\\alice","S-1-5-21-1-2-3-1001"\r\n'), 'win32');
    expect(r.key).toBeUndefined();
    expect(r.problem).toMatch(/S-1-5-21-1-2-3-1001.*secret|not issued/);
  });
});

describe('ProofStore (real files; permissions by a recording grant)', () => {
  function store(now: { t: number }, ids: string[]) {
    const root = mkdtempSync(join(tmpdir(), 'proof-store-'));
    const calls: string[] = [];
    const grant: ProofGrant = {
      prepareRoot: async (r) => void calls.push(`root ${r === root}`),
      restrictDir: async (d, p) => void calls.push(`dir ${p.id} ${d === join(root, p.id)}`),
      // The file is restricted while still a temporary name, before it becomes `secret`.
      restrictFile: async (f, p) => void calls.push(`file ${p.id} ${f.startsWith(join(root, p.id, '.secret-'))}`),
    };
    const list = { ids };
    const s = new ProofStore({ root, grant, principals: async () => list.ids.map((id) => ({ id, name: `u${id}` })), now: () => now.t, graceMs: 1000 });
    return { root, calls, s, list };
  }

  it('issues, verifies (constant-time), refuses replays, stale times, other users’ claims; rotates with a grace', async () => {
    const now = { t: 1_000_000 };
    const { root, calls, s, list } = store(now, ['1001', '1002']);
    try {
      await s.start();
      s.stop();
      expect(calls).toEqual(['root true', 'dir 1001 true', 'file 1001 true', 'dir 1002 true', 'file 1002 true']);
      expect(statSync(join(root, '1001', 'secret')).mode & 0o077).toBe(0); // created 0600 by the agent alone
      const k1 = await loadClientKey(root, '1001');
      if ('error' in k1) throw new Error(k1.error);
      const a = signRequest('status', '1001', k1.secret, now.t);
      const v = s.verify('status', a);
      expect(v).toMatchObject({ ok: true, principal: { id: '1001' } });
      expect(s.verify('status', a)).toMatchObject({ ok: false, why: expect.stringContaining('replayed') });
      expect(s.verify('status', signRequest('status', '1002', k1.secret, now.t))).toMatchObject({ ok: false, why: expect.stringContaining('1002') }); // 1001's secret claiming 1002
      expect(s.verify('status', signRequest('status', '1001', k1.secret, now.t - MAX_CLOCK_SKEW_MS - 1))).toMatchObject({ ok: false, why: expect.stringContaining('clock') });
      // Rotation: the old secret works within the grace, not after; the new file holds the new one.
      await s.rotate();
      expect(s.verify('open', signRequest('open', '1001', k1.secret, now.t)).ok).toBe(true);
      now.t += 1001;
      expect(s.verify('open', signRequest('open', '1001', k1.secret, now.t)).ok).toBe(false);
      const k2 = await loadClientKey(root, '1001');
      if ('error' in k2) throw new Error(k2.error);
      expect(k2.secret.equals(k1.secret)).toBe(false);
      expect(s.verify('open', signRequest('open', '1001', k2.secret, now.t)).ok).toBe(true);
      // A user no longer listed loses the secret and the file.
      list.ids = ['1002'];
      await s.rotate();
      expect(s.verify('open', signRequest('open', '1001', k2.secret, now.t)).ok).toBe(false);
      expect(() => readFileSync(join(root, '1001', 'secret'))).toThrow();
      expect(await loadClientKey(root, '1001')).toMatchObject({ error: expect.stringContaining('not issued') });
      // A user who appeared since the last listing: refused now, and the agent lists again (once a minute at most).
      list.ids = ['1002', '999'];
      expect(s.verify('status', signRequest('status', '999', k2.secret, now.t))).toMatchObject({ ok: false, why: expect.stringContaining('no secret to 999 yet') });
      const listings = calls.filter((c) => c.startsWith('dir 1002')).length;
      expect(s.verify('status', signRequest('status', '998', k2.secret, now.t)).ok).toBe(false);
      await s.rotate(); // runs after the rescan it queued
      expect(calls.filter((c) => c.startsWith('dir 1002')).length).toBe(listings + 2); // the rescan and this one, not a third
      const k9 = await loadClientKey(root, '999');
      if ('error' in k9) throw new Error(k9.error);
      expect(s.verify('status', signRequest('status', '999', k9.secret, now.t)).ok).toBe(true);
      // One user's flood of valid requests refuses that user only, and only until its nonces age out.
      const k12 = await loadClientKey(root, '1002');
      if ('error' in k12) throw new Error(k12.error);
      for (let i = 1; i < MAX_REMEMBERED_NONCES_PER_PRINCIPAL; i++) expect(s.verify('status', signRequest('status', '999', k9.secret, now.t)).ok).toBe(true);
      expect(s.verify('status', signRequest('status', '999', k9.secret, now.t))).toMatchObject({ ok: false, why: expect.stringContaining('too many') });
      expect(s.verify('status', signRequest('status', '1002', k12.secret, now.t)).ok).toBe(true);
      now.t += 2 * MAX_CLOCK_SKEW_MS + 1;
      expect(s.verify('status', signRequest('status', '999', k9.secret, now.t)).ok).toBe(true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a secret whose file could not be restricted is not usable', async () => {
    const root = mkdtempSync(join(tmpdir(), 'proof-store-'));
    try {
      const s = new ProofStore({
        root,
        grant: { prepareRoot: async () => {}, restrictDir: async () => {}, restrictFile: async () => { throw new Error('icacls failed: Access is denied.'); } },
        principals: async () => [{ id: '1001', name: 'a' }],
      });
      expect(await s.rotate()).toEqual({ issued: [], failed: [{ id: '1001', error: 'icacls failed: Access is denied.' }] });
      expect(s.ids()).toEqual([]);
      expect(() => readFileSync(join(root, '1001', 'secret'))).toThrow();
      // Issued once, then a rotation fails: the previous secret (file untouched) keeps working.
      let fail = false;
      const s2 = new ProofStore({
        root,
        grant: { prepareRoot: async () => {}, restrictDir: async () => {}, restrictFile: async () => { if (fail) throw new Error('icacls failed'); } },
        principals: async () => [{ id: '1001', name: 'a' }],
      });
      await s2.rotate();
      const k = await loadClientKey(root, '1001');
      if ('error' in k) throw new Error(k.error);
      fail = true;
      expect((await s2.rotate()).failed).toHaveLength(1);
      expect(s2.verify('status', signRequest('status', '1001', k.secret)).ok).toBe(true);
      expect((await loadClientKey(root, '1001')) as { secret: Buffer }).toMatchObject({ secret: k.secret });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
