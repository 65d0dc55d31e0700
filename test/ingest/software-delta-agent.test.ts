/**
 * The agent's side of software lists by hash (agent/src/report/software-delta.ts), with the
 * real runtime, spool and link against a stand-in collector socket: without `features` every
 * report carries the whole list and no hash (an older collector refuses unknown fields); after
 * the collector announces FEATURE_SOFTWARE_DELTA the list goes out once with its hash, then only
 * the hash, and the list again when it changes; a collector that stops announcing the feature
 * (rolled back) gets whole lists again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { AgentRuntime } from '../../agent/src/runtime/agent.js';
import { softwareListHash, type Inventory } from '../../shared/src/protocol/inventory.js';
import { FEATURE_SOFTWARE_DELTA } from '../../shared/src/protocol/messages.js';
import { ENROLL_SECRET, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { enrollAgent, waitFor } from '../helpers/agent.js';
import { sampleChecks, sampleInventory } from '../helpers/device.js';

const payloadOf = (jws: string) => JSON.parse(Buffer.from(jws.split('.')[1], 'base64url').toString('utf8')) as { inventory: Inventory; trigger: string };

describe('the agent leaves an unchanged software list out only for a collector that takes it', () => {
  let c: TestCollector;
  let wss: WebSocketServer;
  let runtime: AgentRuntime | null = null;
  const reports: { inventory: Inventory; trigger: string }[] = [];
  let sock: WebSocket | null = null;
  let dir: string;
  let software = [{ name: 'bash', version: '5.2.15' }];

  beforeAll(async () => {
    c = await startTestCollector('pglite');
    ({ dir } = await enrollAgent(c.url, ENROLL_SECRET));
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    wss.on('connection', (ws) => {
      sock = ws;
      ws.on('message', (m) => {
        const msg = JSON.parse(m.toString());
        if (msg.type !== 'report') return;
        reports.push(payloadOf(msg.jws));
        ws.send(JSON.stringify({ type: 'ack', id: msg.id }));
      });
      ws.send(JSON.stringify({ type: 'welcome', deviceId: 'dev_x', serverTime: new Date().toISOString(), policy: { intervalSec: 900, thresholds: {} } }));
    });
    const cfgFile = join(dir, 'agent.json');
    const cfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
    writeFileSync(cfgFile, JSON.stringify({ ...cfg, server: `http://127.0.0.1:${(wss.address() as { port: number }).port}` }));
  }, 60_000);
  afterAll(async () => {
    await runtime?.stop();
    wss?.close();
    await c?.cleanup();
  });

  let n = 0;
  const recheck = async () => {
    const before = reports.length;
    sock!.send(JSON.stringify({ type: 'command', commandId: `cmd_${++n}`, command: 'check-now' }));
    await waitFor(async () => (reports.length > before ? true : null), 20_000, 20);
    return reports[reports.length - 1];
  };

  it('whole lists before `features`, by hash after it, whole again after a rollback', async () => {
    runtime = new AgentRuntime({
      stateDir: dir,
      runCycle: async () => ({ inventory: { ...sampleInventory('delta-host'), software }, checks: sampleChecks() }),
      log: () => {},
    });
    await runtime.start();
    await waitFor(async () => (reports.length ? true : null), 20_000, 50);
    expect(reports[0].inventory.software).toEqual(software);
    expect(reports[0].inventory).not.toHaveProperty('softwareHash');

    sock!.send(JSON.stringify({ type: 'features', accepts: [FEATURE_SOFTWARE_DELTA] }));
    const first = await recheck();
    expect(first.inventory.software).toEqual(software);
    expect(first.inventory.softwareHash).toBe(softwareListHash(software));
    const second = await recheck();
    expect(second.inventory).not.toHaveProperty('software');
    expect(second.inventory.softwareHash).toBe(softwareListHash(software));
    software = [...software, { name: 'nmap', version: '7.93' }];
    const changed = await recheck();
    expect(changed.inventory.software).toEqual(software);
    expect(changed.inventory.softwareHash).toBe(softwareListHash(software));
    // Remembered across a restart of the agent (a report built offline uses it).
    expect(JSON.parse(readFileSync(join(dir, 'software-sent.json'), 'utf8'))).toMatchObject({ accepts: true, last: { hash: softwareListHash(software) } });

    // The collector is rolled back to a version without `features`: the agent reconnects, hears
    // only the welcome, and within 10 s goes back to whole lists without a hash.
    sock!.close();
    await waitFor(async () => (sock && sock.readyState === sock.OPEN && reports.length ? true : null), 30_000, 50);
    await new Promise((r) => setTimeout(r, 11_000));
    const after = await recheck();
    expect(after.inventory.software).toEqual(software);
    expect(after.inventory).not.toHaveProperty('softwareHash');
  }, 120_000);
});
