/**
 * Bulk seeding for the benchmark, straight into PostgreSQL:
 *  - simulated agent identities (device row + key), written to the simulator's cache so the
 *    fleet connects without 15,000 enrollment round trips (enrollment throughput is measured
 *    separately on a sample through the real API);
 *  - plain device rows with a realistic spread of states, for the device-list query.
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import pg from 'pg';
import { appendCache, fingerprintOf, SIM_AGENT_VERSION, type SimIdentity } from '../simulate/identity.js';
import { inventoryOf, platformOf } from '../simulate/templates.js';

const CHUNK = 2_000;

function thumbprint(x: string): string {
  return createHash('sha256').update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`).digest('base64url');
}

/** Create identities [from, to) as enrolled devices and append them to the simulator cache. */
export async function seedIdentities(client: pg.Pool, collectorId: string, cacheFile: string, from: number, to: number): Promise<void> {
  for (let start = from; start < to; start += CHUNK) {
    const ids: SimIdentity[] = [];
    const rows: object[] = [];
    for (let i = start; i < Math.min(to, start + CHUNK); i++) {
      const { privateKey } = generateKeyPairSync('ed25519');
      const jwk = privateKey.export({ format: 'jwk' }) as { d: string; x: string };
      const id: SimIdentity = { i, deviceId: `dev_sim${i.toString(36)}_${randomBytes(4).toString('hex')}`, kid: thumbprint(jwk.x), d: jwk.d, x: jwk.x };
      ids.push(id);
      const inv = inventoryOf(i);
      rows.push({ id: id.deviceId, fp: fingerprintOf(collectorId, i), host: inv.hostname, plat: inv.os.platform, osn: inv.os.distro, osv: inv.os.release, model: inv.hardware.model, serial: inv.hardware.serial, owner: inv.users[0], inv, kid: id.kid, jwk: { kty: 'OKP', crv: 'Ed25519', x: jwk.x } });
    }
    const c = await client.connect();
    try {
      await c.query('BEGIN');
      await c.query(
        `INSERT INTO devices (id, fingerprint, hostname, platform, os_name, os_version, model, serial, owner, agent_version, inventory, last_seen_at)
         SELECT id, fp, host, plat, osn, osv, model, serial, owner, $2, inv, now() FROM jsonb_to_recordset($1::jsonb)
           AS r(id text, fp text, host text, plat text, osn text, osv text, model text, serial text, owner text, inv jsonb)`,
        [JSON.stringify(rows), SIM_AGENT_VERSION],
      );
      await c.query(`INSERT INTO device_keys (kid, device_id, public_jwk) SELECT kid, id, jwk FROM jsonb_to_recordset($1::jsonb) AS r(kid text, id text, jwk jsonb)`, [JSON.stringify(rows)]);
      await c.query('COMMIT');
    } finally {
      c.release();
    }
    appendCache(cacheFile, ids);
  }
}

/** Plain device rows (no keys) until the table holds `total` devices. */
export async function seedDevices(client: pg.Pool, total: number): Promise<number> {
  const have = Number((await client.query('SELECT count(*) AS n FROM devices')).rows[0].n);
  const checks = ['disk_encryption', 'firewall', 'antivirus', 'patch_level', 'usb_storage', 'screen_lock'];
  for (let start = have; start < total; start += CHUNK) {
    const rows: object[] = [];
    for (let i = start; i < Math.min(total, start + CHUNK); i++) {
      const k = 1_000_000 + i;
      const inv = inventoryOf(k);
      const r = (i * 2654435761) % 1000;
      const state = r < 780 ? 'compliant' : r < 880 ? 'noncompliant' : r < 930 ? 'failing' : r < 970 ? 'stale' : 'unknown';
      const failing = state === 'noncompliant' || state === 'failing' ? [checks[i % 6]] : [];
      rows.push({
        id: `dev_seed${i.toString(36)}`, fp: createHash('sha256').update(`seed:${i}`).digest('hex'), host: inv.hostname, plat: platformOf(k), osn: inv.os.distro, osv: inv.os.release,
        model: inv.hardware.model, serial: inv.hardware.serial, owner: `user${i}@example.com`, inv: { ...inv, software: [] }, state, failing,
        seen: new Date(Date.now() - (i % 7200) * 60_000).toISOString(), deadline: state === 'failing' ? new Date(Date.now() + (i % 72) * 3600_000).toISOString() : null,
      });
    }
    await client.query(
      `INSERT INTO devices (id, fingerprint, hostname, platform, os_name, os_version, model, serial, owner, agent_version, inventory, state, failing_checks, last_seen_at, last_report_at, next_deadline)
       SELECT id, fp, host, plat, osn, osv, model, serial, owner, '0.1.0', inv, state, ARRAY(SELECT jsonb_array_elements_text(failing)), seen, seen, deadline
         FROM jsonb_to_recordset($1::jsonb) AS r(id text, fp text, host text, plat text, osn text, osv text, model text, serial text, owner text, inv jsonb, state text, failing jsonb, seen timestamptz, deadline timestamptz)`,
      [JSON.stringify(rows)],
    );
  }
  await client.query('ANALYZE devices');
  return total - have;
}
