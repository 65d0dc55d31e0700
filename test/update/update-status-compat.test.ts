/**
 * Protocol compatibility of `update-status` (docs/updates.md): the agent's runtime sends it
 * only to a collector that announced it with a `features` message. Against a server that
 * speaks protocol v1 without it (an older collector, which would close the socket on an
 * unknown message type) nothing is sent and reports keep flowing; once the server announces
 * the feature, the state goes out and the runtime asks for the last state to be sent.
 *
 * The agent is enrolled for real (CLI against a real collector); its config is then pointed
 * at a plain WebSocket server standing in for the older collector. Probes are not run: the
 * cycle returns the test inventory and checks (what is under test is the link, not probes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { AgentRuntime } from '../../agent/src/runtime/agent.js';
import { ENROLL_SECRET, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { enrollAgent, waitFor } from '../helpers/agent.js';
import { sampleChecks, sampleInventory } from '../helpers/device.js';

describe('update-status is sent only to a collector that announced it', () => {
  let c: TestCollector;
  let wss: WebSocketServer;
  let runtime: AgentRuntime | null = null;
  const got: any[] = [];
  let sock: WebSocket | null = null;
  let dir: string;

  beforeAll(async () => {
    c = await startTestCollector('pglite');
    ({ dir } = await enrollAgent(c.url, ENROLL_SECRET));
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((r) => wss.once('listening', r));
    wss.on('connection', (ws) => {
      sock = ws;
      ws.on('message', (m) => {
        const msg = JSON.parse(m.toString());
        got.push(msg);
        if (msg.type === 'report') ws.send(JSON.stringify({ type: 'ack', id: msg.id }));
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

  it('holds it back from an older collector, sends it after `features`', async () => {
    let accepted = 0;
    runtime = new AgentRuntime({
      stateDir: dir,
      runCycle: async () => ({ inventory: sampleInventory('compat-host'), checks: sampleChecks() }),
      log: () => {},
      onUpdateStatusAccepted: () => accepted++,
    });
    await runtime.start();
    await waitFor(async () => (got.some((m) => m.type === 'report') ? true : null), 20_000, 50);
    const state = { state: 'rolled-back' as const, from: '1.0.0', to: '1.1.0', reason: 'trial failed', at: new Date().toISOString() };
    expect(runtime.updateStatus(state)).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
    expect(got.filter((m) => m.type === 'update-status')).toEqual([]);
    expect(sock!.readyState).toBe(sock!.OPEN);

    sock!.send(JSON.stringify({ type: 'features', accepts: ['update-status'] }));
    await waitFor(async () => (accepted === 1 ? true : null), 5_000, 20);
    expect(runtime.updateStatus(state)).toBe(true);
    const m = await waitFor(async () => got.find((x) => x.type === 'update-status') ?? null, 5_000, 20);
    expect(m).toEqual({ type: 'update-status', ...state });
    // A state that does not fit the schema is dropped here, not sent to be refused on every connection.
    expect(runtime.updateStatus({ ...state, to: 'not a version!' })).toBe(false);
  }, 60_000);
});
