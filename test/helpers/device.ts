/**
 * An in-process device for protocol tests: real Ed25519 keys, real HTTP enrollment,
 * real signed reports and a real WebSocket — without running probes.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { SignJWT } from 'jose';
import { generateDeviceKey, signJson, deviceToken, type DeviceKey } from '../../agent/src/identity/keys.js';
import { uuidv7 } from '../../agent/src/identity/uuid7.js';
import { WS_PATH, type ReportPayload } from '../../shared/src/protocol/messages.js';
import type { Inventory } from '../../shared/src/protocol/inventory.js';
import type { CheckResult } from '../../shared/src/checks/result.js';
import { CHECK_IDS, type CheckId } from '../../shared/src/checks/ids.js';
import { ENROLL_SECRET } from './collector.js';

export interface TestDevice {
  deviceId: string;
  audience: string;
  key: DeviceKey;
  fingerprint: string;
  server: string;
  seq: number;
}

export function sampleInventory(hostname = `host-${randomBytes(3).toString('hex')}`): Inventory {
  return {
    hostname,
    os: { platform: 'linux', distro: 'Ubuntu', release: '24.04', build: null, kernel: '6.8.0-45-generic', arch: 'x64' },
    hardware: { vendor: 'LENOVO', model: 'ThinkPad T14 Gen 4', serial: `PF${randomBytes(4).toString('hex').toUpperCase()}`, uuid: randomUUID() },
    cpu: { brand: 'Intel Core i7-1365U', cores: 12, physicalCores: 10 },
    memoryBytes: 32 * 2 ** 30,
    disks: [{ name: 'nvme0n1', type: 'NVMe', sizeBytes: 512e9, vendor: 'Samsung', serial: null }],
    network: [{ iface: 'wlp0s20f3', mac: '8c:17:59:aa:bb:cc', ip4: '10.0.0.23', ip6: null, internal: false }],
    users: ['alice'],
  };
}

export function sampleChecks(overrides: Partial<Record<CheckId, Partial<CheckResult>>> = {}): CheckResult[] {
  return CHECK_IDS.map((id) => ({ id, status: 'pass', summary: `${id} ok`, evidence: {}, remediation: { steps: [] }, ...overrides[id] }) as CheckResult);
}

export async function enrollDevice(server: string, opts: { secret?: string; fingerprint?: string; hostname?: string; key?: DeviceKey } = {}): Promise<TestDevice> {
  const key = opts.key ?? (await generateDeviceKey()).key;
  const fingerprint = opts.fingerprint ?? randomBytes(32).toString('hex');
  const res = await fetch(`${server}/agent/v1/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ secret: opts.secret ?? ENROLL_SECRET, publicJwk: key.publicJwk, fingerprint, agentVersion: 'test', inventory: sampleInventory(opts.hostname) }),
  });
  const body = (await res.json()) as { deviceId: string; audience: string; error?: { message: string } };
  if (res.status !== 201 && res.status !== 200) throw new Error(`enroll failed: ${res.status} ${JSON.stringify(body)}`);
  return { deviceId: body.deviceId, audience: body.audience, key, fingerprint, server, seq: 0 };
}

export function makePayload(d: TestDevice, opts: { checks?: CheckResult[]; collectedAt?: Date; reportId?: string; trigger?: string; hostname?: string; software?: Inventory['software'] } = {}): ReportPayload {
  const at = opts.collectedAt ?? new Date();
  return {
    v: 1,
    reportId: opts.reportId ?? uuidv7(at.getTime()),
    deviceId: d.deviceId,
    seq: ++d.seq,
    collectedAt: at.toISOString(),
    agentVersion: 'test',
    trigger: opts.trigger ?? 'test',
    inventory: { ...sampleInventory(opts.hostname ?? 'test-host'), ...(opts.software ? { software: opts.software } : {}) },
    checks: opts.checks ?? sampleChecks(),
  };
}

export async function signedReport(d: TestDevice, opts: Parameters<typeof makePayload>[1] = {}, key = d.key): Promise<{ id: string; jws: string; payload: ReportPayload }> {
  const payload = makePayload(d, opts);
  return { id: payload.reportId, jws: await signJson(key, payload), payload };
}

export function wsUrlOf(server: string): string {
  return server.replace(/^http/, 'ws') + WS_PATH;
}

/** Open a socket; resolves once open, or with the close code if the collector refuses. */
export function openSocket(server: string, token: string | null): Promise<{ ws: WebSocket; messages: any[]; closed: Promise<{ code: number; reason: string }> }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrlOf(server), { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const messages: any[] = [];
    const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
    ws.on('message', (m) => {
      try {
        messages.push(JSON.parse(m.toString()));
      } catch {
        messages.push(m.toString());
      }
    });
    ws.on('open', () => resolve({ ws, messages, closed }));
    ws.on('error', (e) => reject(e));
  });
}

export async function connectDevice(d: TestDevice) {
  return openSocket(d.server, await deviceToken(d.key, d.deviceId, d.audience));
}

/** Wait for a server message matching pred. */
export async function nextMessage(messages: any[], pred: (m: any) => boolean, timeoutMs = 10_000): Promise<any> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const m = messages.find(pred);
    if (m) return m;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('timed out waiting for a server message');
}

/** A JWT with arbitrary claims signed by `key` (for negative auth tests). */
export async function customToken(key: DeviceKey, claims: { sub: string; aud: string; exp?: number; iat?: number; jti?: string | null }): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  let b = new SignJWT({}).setProtectedHeader({ alg: 'EdDSA', kid: key.kid }).setSubject(claims.sub).setAudience(claims.aud).setIssuedAt(claims.iat ?? now).setExpirationTime(claims.exp ?? now + 120);
  if (claims.jti !== null) b = b.setJti(claims.jti ?? randomUUID());
  return b.sign(key.privateKey);
}

export { deviceToken, signJson };
