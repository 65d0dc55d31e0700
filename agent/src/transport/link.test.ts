/**
 * AgentLink against real WebSocket servers that misbehave on purpose: one that stops
 * answering pings (dead peer), one that asks for a retry later, one that revokes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { AgentLink } from './link.js';
import { Spool } from '../spool/spool.js';
import { generateDeviceKey } from '../identity/keys.js';
import { CLOSE } from '#shared/protocol/messages.js';

const servers: WebSocketServer[] = [];
const links: AgentLink[] = [];
afterEach(() => {
  for (const l of links.splice(0)) l.stop();
  for (const s of servers.splice(0)) s.close();
});

async function server(opts: ConstructorParameters<typeof WebSocketServer>[0] = {}) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...opts });
  servers.push(wss);
  await new Promise((r) => wss.once('listening', r));
  return { wss, url: `http://127.0.0.1:${(wss.address() as { port: number }).port}` };
}

async function link(url: string, extra: Partial<ConstructorParameters<typeof AgentLink>[0]> = {}) {
  const d = mkdtempSync(join(tmpdir(), 'link-'));
  const spool = new Spool(join(d, 's'), join(d, 'q'));
  const states: string[] = [];
  const logs: string[] = [];
  const l = new AgentLink(
    { server: url, deviceId: 'dev_x', audience: 'aud', key: (await generateDeviceKey()).key, spool, agentVersion: 't', backoffBaseMs: 50, backoffCapMs: 200, ...extra },
    { onCommand: () => {}, onState: (s) => states.push(s), log: (_l, m) => logs.push(m) },
  );
  links.push(l);
  return { l, spool, states, logs };
}

const until = async (fn: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe('AgentLink', () => {
  it('detects a dead peer that stops answering pings and reconnects', async () => {
    const { wss, url } = await server({ autoPong: false });
    let connections = 0;
    wss.on('connection', () => connections++);
    const { l, logs } = await link(url, { pingIntervalMs: 100, deadPeerTimeoutMs: 150 });
    l.start();
    await until(() => connections >= 2, 5000);
    expect(logs.join('\n')).toMatch(/did not answer ping/);
  });

  it('honours a retry hint before resending, and deletes the report only on ack', async () => {
    const { wss, url } = await server();
    const seen: number[] = [];
    wss.on('connection', (ws) => {
      ws.on('message', (m) => {
        const msg = JSON.parse(m.toString());
        if (msg.type !== 'report') return;
        seen.push(Date.now());
        if (seen.length === 1) ws.send(JSON.stringify({ type: 'retry', id: msg.id, retryAfterMs: 800 }));
        else ws.send(JSON.stringify({ type: 'ack', id: msg.id }));
      });
    });
    const { l, spool } = await link(url);
    spool.append({ id: 'r1', seq: spool.nextSeq(), createdAt: new Date().toISOString(), jws: 'a.b.c' });
    l.start();
    await until(() => seen.length === 1);
    expect(spool.size).toBe(1); // not deleted on "retry"
    l.kick(); // new activity must not bypass the pause
    await new Promise((r) => setTimeout(r, 300));
    expect(seen.length).toBe(1);
    await until(() => spool.size === 0, 3000);
    expect(seen[1] - seen[0]).toBeGreaterThanOrEqual(790);
  });

  it('stops for good after a revocation close and reports the state', async () => {
    const { wss, url } = await server();
    let connections = 0;
    wss.on('connection', (ws) => {
      connections++;
      ws.close(CLOSE.revoked, 'device revoked');
    });
    const { l, states } = await link(url);
    l.start();
    await until(() => states.includes('revoked'));
    await new Promise((r) => setTimeout(r, 600));
    expect(connections).toBe(1);
    expect(l.lastError).toMatch(/revoked/);
  });

  it('honours the retry-later close hint from a collector going away', async () => {
    const { wss, url } = await server();
    const times: number[] = [];
    wss.on('connection', (ws) => {
      times.push(Date.now());
      if (times.length === 1) ws.close(CLOSE.retryLater, JSON.stringify({ retryAfterMs: 700 }));
    });
    const { l } = await link(url);
    l.start();
    await until(() => times.length === 2, 5000);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(690);
  });
});
