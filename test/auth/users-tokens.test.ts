/** Users (scrypt, disable) and API tokens (role-scoped, expiring, hashed at rest, revocable). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { backends } from '../helpers/db.js';
import { createHash } from 'node:crypto';

async function login(url: string, username: string, password: string) {
  return fetch(`${url}/login`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ username, password }) });
}

for (const backend of backends()) {
  describe(`users and tokens (${backend})`, () => {
    let c: TestCollector;
    beforeAll(async () => {
      c = await startTestCollector(backend);
    }, 60_000);
    afterAll(async () => c?.cleanup());

    it('creates a local user with a scrypt hash who can sign in; duplicate names conflict', async () => {
      const r = await c.api('/api/v1/users', { method: 'POST', body: JSON.stringify({ username: 'hd.bob', password: 'correct horse battery', role: 'helpdesk' }) });
      expect(r.status).toBe(201);
      const row = await c.db.query<{ password_hash: string }>("SELECT password_hash FROM users WHERE username = 'hd.bob'");
      expect(row.rows[0].password_hash).toMatch(/^scrypt\$32768\$8\$1\$/);
      expect(row.rows[0].password_hash).not.toContain('correct horse');
      expect((await login(c.url, 'hd.bob', 'correct horse battery')).status).toBe(303);
      expect((await login(c.url, 'hd.bob', 'wrong password here')).status).toBe(401);
      const dup = await c.api('/api/v1/users', { method: 'POST', body: JSON.stringify({ username: 'hd.bob', password: 'another long password', role: 'admin' }) });
      expect(dup.status).toBe(409);
      const weak = await c.api('/api/v1/users', { method: 'POST', body: JSON.stringify({ username: 'weak', password: 'short', role: 'admin' }) });
      expect(weak.status).toBe(400);
      const list = await c.api('/api/v1/users');
      expect(list.body.items.find((u: any) => u.username === 'hd.bob').role).toBe('helpdesk');
      expect(JSON.stringify(list.body)).not.toContain('scrypt$');
    });

    it('a disabled user can no longer sign in and their session stops working', async () => {
      const res = await login(c.url, 'hd.bob', 'correct horse battery');
      const cookie = res.headers.get('set-cookie')!.split(';')[0];
      expect((await fetch(`${c.url}/api/v1/devices`, { headers: { cookie } })).status).toBe(200);
      const id = (await c.api('/api/v1/users')).body.items.find((u: any) => u.username === 'hd.bob').id;
      expect((await c.api(`/api/v1/users/${id}/disable`, { method: 'POST' })).status).toBe(200);
      expect((await fetch(`${c.url}/api/v1/devices`, { headers: { cookie } })).status).toBe(401);
      expect((await login(c.url, 'hd.bob', 'correct horse battery')).status).toBe(401);
      const a = (await c.api('/api/v1/audit?action=user.')).body.items.map((x: any) => x.action);
      expect(a).toEqual(expect.arrayContaining(['user.create', 'user.disable']));
    });

    it('tokens are scoped to their role, stored as a hash, expire and can be revoked', async () => {
      const t = await c.api('/api/v1/tokens', { method: 'POST', body: JSON.stringify({ role: 'auditor', label: 'evidence bot', expiresInDays: 30 }) });
      expect(t.status).toBe(201);
      const row = await c.db.query<{ token_hash: string }>('SELECT token_hash FROM api_tokens WHERE id = $1', [t.body.id]);
      expect(row.rows[0].token_hash).toBe(createHash('sha256').update(t.body.token).digest('hex'));
      expect(JSON.stringify((await c.api('/api/v1/tokens')).body)).not.toContain(t.body.token);
      expect((await c.api('/api/v1/audit', { token: t.body.token })).status).toBe(200);
      expect((await c.api('/api/v1/users', { token: t.body.token })).status).toBe(403);
      expect((await c.api('/api/v1/tokens', { method: 'POST', body: JSON.stringify({ role: 'admin', label: 'x', expiresInDays: 1 }), token: t.body.token })).status).toBe(403);
      // Expired: moved into the past directly, as time would.
      await c.db.query("UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE id = $1", [t.body.id]);
      expect((await c.api('/api/v1/audit', { token: t.body.token })).status).toBe(401);
      const t2 = await c.api('/api/v1/tokens', { method: 'POST', body: JSON.stringify({ role: 'helpdesk', label: 'wall screen', expiresInDays: 1 }) });
      expect((await c.api('/api/v1/devices', { token: t2.body.token })).status).toBe(200);
      expect((await c.api(`/api/v1/tokens/${t2.body.id}`, { method: 'DELETE' })).status).toBe(200);
      expect((await c.api('/api/v1/devices', { token: t2.body.token })).status).toBe(401);
      expect((await c.api('/api/v1/tokens', { method: 'POST', body: JSON.stringify({ role: 'helpdesk', label: 'forever', expiresInDays: 100000 }) })).status).toBe(400);
    });
  });
}
