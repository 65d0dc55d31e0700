/**
 * CPU per report of the collector's socket path, in this process, without a network or a
 * database: frame decode + message validation, then report verification (JWS signature,
 * payload parse, schema + storable check). Reports are shaped and signed like the fleet
 * simulator's (scripts/simulate/templates.ts), one device key.
 *   npx tsx scripts/bench/ingest-cpu.ts [N=5000]
 * Prints µs per report for each stage (used to find where the socket path's time goes), then
 * verification in this thread against the worker pool: wall and event-loop time per report.
 */
import { createPublicKey, generateKeyPairSync, randomUUID } from 'node:crypto';
import { importJWK, calculateJwkThumbprint, type CryptoKey, type JWK } from 'jose';
import { AgentMessage } from '#shared/protocol/messages.js';
import { LIMITS } from '#shared/protocol/limits.js';
import { parseJsonLimited } from '#shared/protocol/json.js';
import { compile } from '#shared/schema/validate.js';
import { verifyReport } from '../../server/src/ingest/verify.js';
import type { DeviceAuthInfo } from '../../server/src/gateway/device-keys.js';
import { signCompact, SIM_AGENT_VERSION, type SimIdentity } from '../simulate/identity.js';
import { checksOf, inventoryOf } from '../simulate/templates.js';

const n = Math.max(100, Number(process.argv[2] ?? 5000));
const { privateKey } = generateKeyPairSync('ed25519');
const jwk = privateKey.export({ format: 'jwk' }) as JWK;
const pub: JWK = { kty: 'OKP', crv: 'Ed25519', x: jwk.x };
const kid = await calculateJwkThumbprint(pub);
const deviceId = randomUUID();
const id: SimIdentity = { i: 7, deviceId, kid, d: jwk.d!, x: jwk.x! };
const info: DeviceAuthInfo = {
  deviceId,
  revokedAt: null,
  keys: new Map([[kid, { kid, jwk: pub, key: (await importJWK(pub, 'EdDSA')) as CryptoKey, keyObject: createPublicKey({ key: pub as import('node:crypto').JsonWebKey, format: 'jwk' }), retiredAt: null, retiredReason: null, revokedAt: null }]]),
};
const frames: { id: string; frame: Buffer }[] = [];
for (let seq = 0; seq < n; seq++) {
  const reportId = randomUUID();
  const payload = { v: 1, reportId, deviceId, seq, collectedAt: new Date().toISOString(), agentVersion: SIM_AGENT_VERSION, trigger: 'interval', inventory: inventoryOf(7), checks: checksOf(7, seq), spool: { pending: 0, evicted: 0, quarantined: 0 } };
  const jws = signCompact(id, { alg: 'EdDSA', kid }, payload);
  frames.push({ id: reportId, frame: Buffer.from(JSON.stringify({ type: 'report', id: reportId, jws })) });
}
const validateMessage = compile(AgentMessage);
const decoder = new TextDecoder('utf-8', { fatal: true });

async function stage(name: string, fn: (f: { id: string; frame: Buffer }) => unknown): Promise<void> {
  for (const f of frames.slice(0, 200)) await fn(f); // warm up
  const c0 = process.cpuUsage();
  for (const f of frames) await fn(f);
  const c = process.cpuUsage(c0);
  console.log(`${name.padEnd(44)} ${((c.user + c.system) / n).toFixed(1).padStart(7)} µs/report`);
}
console.log(`${n} reports of ${frames[0].frame.length} bytes`);
const msgOf = (f: { frame: Buffer }) => validateMessage.validate(parseJsonLimited(decoder.decode(f.frame), LIMITS.maxJsonDepth).ok ? JSON.parse(decoder.decode(f.frame)) : null);
await stage('frame: decode + parse + validate message', (f) => {
  const p = parseJsonLimited(decoder.decode(f.frame), LIMITS.maxJsonDepth);
  if (!p.ok || !validateMessage.validate(p.value).ok) throw new Error('bad frame');
});
await stage('verifyReport (JWS + payload + schema)', async (f) => {
  const m = msgOf(f);
  if (!m.ok) throw new Error('bad');
  const r = await verifyReport(info, f.id, (m.value as { jws: string }).jws);
  if (!r.ok) throw new Error(`${r.code}: ${r.message}`);
});

// The same verification through the worker pool (server/src/ingest/verify-pool.ts) against
// in this thread, 64 reports in flight: wall time per report (throughput), and the event
// loop's busy time per report (perf.eventLoopUtilization: what the pool takes off the
// thread that also serves sockets). process.cpuUsage counts every thread, so it is not used here.
const { VerifyPool } = await import('../../server/src/ingest/verify-pool.js');
const { performance: perf } = await import('node:perf_hooks');
const jwsOf = frames.map((f) => ({ id: f.id, jws: (JSON.parse(f.frame.toString()) as { jws: string }).jws }));
async function throughput(name: string, verify: (id: string, jws: string) => Promise<{ ok: boolean }>): Promise<void> {
  let next = 0;
  const run = async (list: typeof jwsOf) => {
    next = 0;
    await Promise.all(Array.from({ length: 64 }, async () => {
      while (next < list.length) {
        const r = list[next++];
        if (!(await verify(r.id, r.jws)).ok) throw new Error('verification failed');
      }
    }));
  };
  await run(jwsOf.slice(0, 200));
  const e0 = perf.eventLoopUtilization();
  const t0 = performance.now();
  await run(jwsOf);
  const wall = performance.now() - t0;
  const e = perf.eventLoopUtilization(e0);
  console.log(`${name.padEnd(44)} ${((wall * 1000) / n).toFixed(1).padStart(7)} µs/report wall, event loop busy ${((e.active * 1000) / n).toFixed(1)} µs/report`);
}
await throughput('verify in this thread', (rid, jws) => verifyReport(info, rid, jws));
for (const size of [1, 2]) {
  const pool = new VerifyPool(size, { maxQueued: 1_000_000 });
  await throughput(`verify in a pool of ${size} worker(s)`, (rid, jws) => pool.verify(info, rid, jws));
  await pool.close();
}
