/**
 * Fuzz: ≥ 10,000 generated malformed, truncated, oversize and mutated messages against a live
 * collector (binary frames, invalid UTF-8, deep JSON, huge arrays, wrong types, forged and
 * tampered signatures). No crash, no unhandled rejection, no stored row from a fuzzing device,
 * and normal agents keep reporting throughout. POSTURE_FUZZ_COUNT sets the count.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { CompactSign } from 'jose';
import { PG_URL } from '../helpers/db.js';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { connectDevice, enrollDevice, makePayload, sampleChecks, signedReport, type TestDevice } from '../helpers/device.js';
import { generateDeviceKey, signJson } from '../../agent/src/identity/keys.js';
import { pendingTotal, produce, startFleet, stopFleet, type FleetAgent } from '../helpers/fleet.js';
import { waitFor } from '../helpers/agent.js';

const COUNT = Number(process.env.POSTURE_FUZZ_COUNT ?? 10_000);
const PER_CONNECTION = 150; // under the per-device rate limit (200 messages / 10 s)

type Msg = { data: string | Buffer; binary?: boolean; closes: boolean };

/** Deterministic PRNG so a failing case can be reproduced from the seed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0) / 2 ** 32);
}

async function generator(d: TestDevice, other: TestDevice, rand: () => number): Promise<Msg> {
  const valid = await signedReport(d);
  const env = JSON.stringify({ type: 'report', id: valid.id, jws: valid.jws });
  const pick = Math.floor(rand() * 16);
  switch (pick) {
    case 0: return { data: randomBytes(1 + Math.floor(rand() * 2000)), binary: true, closes: true };
    case 1: return { data: Buffer.concat([Buffer.from('{"type":"report","id":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}')]), closes: true };
    case 2: return { data: '['.repeat(1000 + Math.floor(rand() * 100_000)), closes: true };
    case 3: return { data: JSON.stringify({ type: 'report', id: 'x', jws: 'a'.repeat(600_000) }), closes: true }; // > maxPayload
    case 4: return { data: JSON.stringify({ type: 'report', id: 123, jws: { a: [1, 2, 3] } }), closes: true };
    case 5: return { data: env.slice(0, Math.floor(rand() * (env.length - 1))), closes: true };
    case 6: return { data: JSON.stringify({ type: ['report'], id: valid.id }), closes: true };
    case 7: return { data: JSON.stringify({ type: 'report', id: valid.id, jws: valid.jws, extra: Array.from({ length: 10_000 }, (_, i) => i) }), closes: true };
    case 8: {
      // Random byte mutation of a valid envelope: may stay valid JSON (then it is rejected) or not.
      const b = Buffer.from(env);
      for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) {
        const i = Math.floor(rand() * b.length);
        b[i] = (b[i] + 1 + Math.floor(rand() * 126)) % 128; // always a different byte
      }
      return { data: b.toString('latin1'), closes: true /* may or may not close; tolerated */ };
    }
    case 9: {
      // Forged: another key, claiming this device's key id.
      const forger = (await generateDeviceKey()).key;
      return { data: JSON.stringify({ type: 'report', id: valid.id, jws: await signJson({ ...forger, kid: d.key.kid }, valid.payload) }), closes: false };
    }
    case 10: {
      const parts = valid.jws.split('.');
      const sig = parts[2].split('');
      const i = Math.floor(rand() * sig.length);
      sig[i] = sig[i] === 'A' ? 'B' : 'A'; // always a different character
      return { data: JSON.stringify({ type: 'report', id: valid.id, jws: `${parts[0]}.${parts[1]}.${sig.join('')}` }), closes: false };
    }
    case 11: {
      // Correctly signed, schema-invalid payload.
      const p = makePayload(d, { checks: sampleChecks({ firewall: { status: 'maybe' as never, summary: 'x'.repeat(5000) } }) });
      return { data: JSON.stringify({ type: 'report', id: p.reportId, jws: await signJson(d.key, p) }), closes: false };
    }
    case 12: {
      // Signed by this device, but claims to be another device.
      const p = makePayload(other);
      return { data: JSON.stringify({ type: 'report', id: p.reportId, jws: await signJson(d.key, p) }), closes: false };
    }
    case 13: {
      const p = makePayload(d, { collectedAt: new Date(Date.now() + 3_600_000) });
      return { data: JSON.stringify({ type: 'report', id: p.reportId, jws: await signJson(d.key, p) }), closes: false };
    }
    case 14: {
      // alg tricks: "none" and HS256 with the public key as secret.
      const hdr = Buffer.from(JSON.stringify({ alg: rand() < 0.5 ? 'none' : 'HS256', kid: d.key.kid })).toString('base64url');
      const body = Buffer.from(JSON.stringify(valid.payload)).toString('base64url');
      return { data: JSON.stringify({ type: 'report', id: valid.id, jws: `${hdr}.${body}.` + (rand() < 0.5 ? '' : 'c2ln') }), closes: false };
    }
    default: {
      // Valid envelope, id does not match the signed report id.
      const jws = await new CompactSign(new TextEncoder().encode(JSON.stringify(valid.payload))).setProtectedHeader({ alg: 'EdDSA', kid: d.key.kid }).sign(d.key.privateKey);
      const last = valid.id.slice(-1) === '0' ? '1' : '0'; // must really differ
      return { data: JSON.stringify({ type: 'report', id: `${valid.id.slice(0, -1)}${last}`, jws }), closes: false };
    }
  }
}

describe('protocol fuzzing against a live collector', () => {
  let c: TestCollector;
  let normal: FleetAgent[] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    process.on('uncaughtException', onUnhandled);
    c = await startTestCollector(PG_URL ? 'pg' : 'pglite');
  });
  afterAll(async () => {
    stopFleet(normal);
    process.off('unhandledRejection', onUnhandled);
    process.off('uncaughtException', onUnhandled);
    await c?.cleanup();
  });

  it(`survives ${COUNT} hostile messages while normal agents keep working`, async () => {
    normal = await startFleet(c.url, 5);
    // Enrolled ten at a time: one source may hold at most 32 unauthenticated requests in flight
    // (POSTURE_MAX_PUBLIC_REQUESTS_PER_SOURCE), and all of this test's clients are 127.0.0.1.
    const fuzzers: Awaited<ReturnType<typeof enrollDevice>>[] = [];
    for (let i = 0; i < 40; i += 10) fuzzers.push(...(await Promise.all(Array.from({ length: 10 }, () => enrollDevice(c.url)))));
    let producing = true;
    const prod = (async () => {
      while (producing) {
        for (const a of normal) await produce(a);
        await new Promise((r) => setTimeout(r, 300));
      }
    })();

    const rand = rng(Number(process.env.POSTURE_FUZZ_SEED ?? 20261123));
    let sent = 0;
    const closeCodes = new Map<number, number>();
    const worker = async (w: number) => {
      while (sent < COUNT) {
        const d = fuzzers[w % fuzzers.length];
        const other = fuzzers[(w + 1) % fuzzers.length];
        const s = await connectDevice(d).catch(() => null);
        if (!s) continue;
        let onConn = 0;
        while (sent < COUNT && onConn < PER_CONNECTION && s.ws.readyState === s.ws.OPEN) {
          const m = await generator(d, other, rand);
          s.ws.send(m.data, { binary: !!m.binary });
          sent++;
          onConn++;
          if (m.closes) break; // the collector closes on structural garbage; use a new socket
        }
        s.ws.close();
        const { code } = await Promise.race([s.closed, new Promise<{ code: number }>((r) => setTimeout(() => r({ code: -1 }), 5000))]);
        closeCodes.set(code, (closeCodes.get(code) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
    producing = false;
    await prod;
    await waitFor(async () => pendingTotal(normal) === 0, 60_000);

    expect(sent).toBeGreaterThanOrEqual(COUNT);
    expect(unhandled).toEqual([]);
    // The collector closed garbage with protocol codes (4008 invalid, 1009 too big), not by crashing.
    expect((closeCodes.get(4008) ?? 0) + (closeCodes.get(1009) ?? 0)).toBeGreaterThan(0);
    const fuzzIds = JSON.stringify(fuzzers.map((f) => f.deviceId));
    const fuzzRows = await c.db.query<{ n: string }>('SELECT count(*) AS n FROM reports WHERE device_id IN (SELECT jsonb_array_elements_text($1::jsonb))', [fuzzIds]);
    expect(Number(fuzzRows.rows[0].n)).toBe(0);
    const produced = normal.flatMap((a) => a.produced);
    const stored = await c.db.query<{ report_id: string }>('SELECT report_id FROM reports WHERE device_id IN (SELECT jsonb_array_elements_text($1::jsonb))', [JSON.stringify(normal.map((a) => a.device.deviceId))]);
    expect(new Set(stored.rows.map((r) => r.report_id))).toEqual(new Set(produced));
    expect(produced.length).toBeGreaterThan(10);
    expect((await c.api('/healthz', { token: null })).status).toBe(200);
    console.log(`fuzz: ${sent} messages, close codes ${JSON.stringify(Object.fromEntries(closeCodes))}, ${produced.length} normal reports stored`);
  }, 600_000);
});
