/**
 * Acceptance QA: the collector refuses a device's token AFTER the WebSocket handshake (close 4002,
 * 4003, 4004, ...). Such a refusal must grow the agent's backoff; before the fix the handshake's
 * 'open' reset it, so an agent whose key was retired hammered the collector ~2-3 times a second.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { AgentLink } from '../../agent/src/transport/link.js';
import { Spool } from '../../agent/src/spool/spool.js';
import { generateDeviceKey } from '../../agent/src/identity/keys.js';
import { CLOSE } from '../../shared/src/protocol/messages.js';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const f of cleanup.splice(0)) f();
});

async function refusingServer(welcomeFirst: boolean) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise((r) => wss.once('listening', r));
  let connections = 0;
  wss.on('connection', (ws) => {
    connections++;
    // The first connection is let in (welcome) when asked, to show a later refusal still backs off.
    if (welcomeFirst && connections === 1) {
      ws.send(JSON.stringify({ type: 'welcome', deviceId: 'dev_x', serverTime: new Date().toISOString(), policy: { intervalSec: 900, thresholds: {} } }));
      setTimeout(() => ws.close(CLOSE.badSignature, 'key is not the device’s current key'), 50);
    } else ws.close(CLOSE.badSignature, 'key is not the device’s current key');
  });
  cleanup.push(() => wss.close());
  return { url: `http://127.0.0.1:${(wss.address() as { port: number }).port}`, count: () => connections };
}

async function startLink(url: string) {
  const d = mkdtempSync(join(tmpdir(), 'qa-link-'));
  const l = new AgentLink(
    { server: url, deviceId: 'dev_x', audience: 'aud', key: (await generateDeviceKey()).key, spool: new Spool(join(d, 's'), join(d, 'q')), agentVersion: 't', backoffBaseMs: 100, backoffCapMs: 60_000 },
    { onCommand: () => {}, onState: () => {}, log: () => {} },
  );
  cleanup.push(() => l.stop());
  l.start();
  return l;
}

describe('agent backoff after a post-handshake refusal', () => {
  for (const welcomeFirst of [false, true]) {
    it(`grows the delay instead of reconnecting at the base rate (${welcomeFirst ? 'after one good session' : 'never welcomed'})`, async () => {
      const s = await refusingServer(welcomeFirst);
      const l = await startLink(s.url);
      await new Promise((r) => setTimeout(r, 4_000));
      // With base 100 ms, no growth means ~80 attempts in 4 s; growing ceilings (100, 200, 400, ...,
      // 3200 ms) allow at most ~7 even with unlucky jitter.
      expect(s.count()).toBeGreaterThanOrEqual(2);
      expect(s.count()).toBeLessThanOrEqual(12);
      expect(l.lastError).toMatch(/4002/);
    });
  }
});
