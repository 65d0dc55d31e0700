/**
 * A fleet of in-process agents that use the agent's real Spool and AgentLink (real files,
 * fsync, real sockets) with synthetic check results, for fault and load tests. Every report
 * produced is remembered so a test can prove that each one was stored exactly once.
 */
import { join } from 'node:path';
import { Spool } from '../../agent/src/spool/spool.js';
import { AgentLink } from '../../agent/src/transport/link.js';
import { signJson } from '../../agent/src/identity/keys.js';
import { enrollDevice, makePayload, type TestDevice } from './device.js';
import { tempDir } from './db.js';

export interface FleetAgent {
  device: TestDevice;
  spool: Spool;
  link: AgentLink;
  produced: string[];
  closeCodes: number[];
}

export async function startFleet(server: string, n: number, opts: { backoffBaseMs?: number; backoffCapMs?: number; connect?: boolean; concurrency?: number } = {}): Promise<FleetAgent[]> {
  const root = tempDir('posture-fleet-');
  const agents: FleetAgent[] = [];
  const conc = opts.concurrency ?? 20;
  for (let i = 0; i < n; i += conc) {
    const batch = await Promise.all(Array.from({ length: Math.min(conc, n - i) }, () => enrollDevice(server)));
    for (const device of batch) {
      const dir = join(root, device.deviceId);
      const spool = new Spool(join(dir, 'spool'), join(dir, 'quarantine'));
      const a: FleetAgent = { device, spool, link: null as unknown as AgentLink, produced: [], closeCodes: [] };
      a.link = new AgentLink(
        {
          server,
          deviceId: device.deviceId,
          audience: device.audience,
          key: device.key,
          spool,
          agentVersion: 'fleet-test',
          backoffBaseMs: opts.backoffBaseMs ?? 200,
          backoffCapMs: opts.backoffCapMs ?? 3_000,
        },
        { onCommand: () => {}, onState: () => {}, log: () => {} },
      );
      agents.push(a);
    }
  }
  if (opts.connect !== false) for (const a of agents) a.link.start();
  return agents;
}

/** Produce one signed report: spool it first, then let the link send it. */
export async function produce(a: FleetAgent): Promise<string> {
  const p = makePayload(a.device, { collectedAt: new Date(), trigger: 'interval' });
  p.seq = a.spool.nextSeq();
  const jws = await signJson(a.device.key, p);
  a.spool.append({ id: p.reportId, seq: p.seq, createdAt: p.collectedAt, jws });
  a.produced.push(p.reportId);
  a.link.kick();
  return p.reportId;
}

export function stopFleet(agents: FleetAgent[]): void {
  for (const a of agents) a.link.stop();
}

export const pendingTotal = (agents: FleetAgent[]) => agents.reduce((n, a) => n + a.spool.size, 0);
