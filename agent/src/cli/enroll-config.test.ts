import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enrollSettings, parseEnvFile, parseRegQuery, readEnrollSettings } from './enroll-config.js';

describe('install-time enrollment settings', () => {
  it('parses the shell-compatible KEY=VALUE subset', () => {
    expect(parseEnvFile(`# comment\n\nSERVER="https://p.example.com"\nexport SECRET='pst_enr_a b'\nOWNER=a@example.com # trailing\n`)).toEqual({
      SERVER: 'https://p.example.com',
      SECRET: 'pst_enr_a b',
      OWNER: 'a@example.com',
    });
    expect(() => parseEnvFile('SERVER https://x')).toThrow(/line 1: expected KEY=VALUE/);
    expect(() => parseEnvFile('A=1\nSECRET="open')).toThrow(/line 2: SECRET has an unterminated quote/);
  });

  it('parses reg query output', () => {
    const out = '\r\nHKEY_LOCAL_MACHINE\\SOFTWARE\\Posture\\Agent\r\n    Server    REG_SZ    https://p.example.com\r\n    Secret    REG_SZ    pst_enr_x\r\n    Owner    REG_SZ    \r\n';
    expect(parseRegQuery(out)).toEqual({ Server: 'https://p.example.com', Secret: 'pst_enr_x', Owner: '' });
  });

  it('names the field that is missing or invalid', () => {
    expect(enrollSettings({ SERVER: 'https://x', SECRET: '' }, 'f')).toEqual({ ok: false, missing: true, reason: 'f: SECRET is not set' });
    expect(enrollSettings({ SECRET: 's' }, 'f')).toMatchObject({ ok: false, missing: true, reason: 'f: SERVER is not set' });
    expect(enrollSettings({ SERVER: 'posture.example.com', SECRET: 's' }, 'f')).toMatchObject({ ok: false, missing: false, reason: expect.stringContaining('SERVER must be') });
    expect(enrollSettings({ SERVER: 'https://x', SECRET: 's', OWNER: 'alice' }, 'f')).toMatchObject({ ok: false, missing: false, reason: expect.stringContaining('OWNER must be') });
    // Registry value names are Server/Secret/Owner: keys are matched case-insensitively.
    expect(enrollSettings({ Server: 'https://x', Secret: 's', Owner: 'a@b.c' }, 'k')).toEqual({ ok: true, settings: { server: 'https://x', secret: 's', owner: 'a@b.c' } });
  });

  it('a missing file is "not configured", not an error', async () => {
    const d = mkdtempSync(join(tmpdir(), 'posture-ec-'));
    try {
      expect(await readEnrollSettings(join(d, 'none'))).toMatchObject({ ok: false, missing: true, reason: expect.stringContaining('no such file') });
      writeFileSync(join(d, 'f'), 'SERVER=http://127.0.0.1:9\nSECRET=s\n');
      expect(await readEnrollSettings(join(d, 'f'))).toEqual({ ok: true, settings: { server: 'http://127.0.0.1:9', secret: 's' } });
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });
});
