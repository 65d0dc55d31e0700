/**
 * Issue 11 #10: device-controlled text reaches the alert channel escaped per Slack's rules
 * (no `<!channel>`, no disguised links), and every delivery is HMAC-SHA256 signed over
 * timestamp + body with the webhook's secret. Real receiver, real collector, real device.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_POLICY } from '../../shared/src/policy/default-policy.js';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { waitFor } from '../helpers/agent.js';
import { reportingDevice, withGrace } from '../dashboard/fleet.js';
import { alertText, escapeSlack } from '../../server/src/alerts/slack.js';
import { verifyWebhook } from '../../server/src/alerts/signature.js';

const EVIL = '<!channel> <https://evil.example/login|Reset your password> & *urgent*';
const SECRET = 'whsec_test-0123456789abcdef';

describe('Slack escaping (unit)', () => {
  it('neutralizes mentions, disguised links and formatting in device text', () => {
    const t = escapeSlack(EVIL);
    expect(t).not.toMatch(/[<>]/);
    expect(t).toContain('&lt;!channel&gt;');
    expect(t).toContain('&amp;');
    const text = alertText({ hostname: EVIL, deviceId: 'dev_1', failingChecks: ['firewall'] }, 'noncompliant', 'https://posture.example');
    expect(text).toMatch(/^:rotating_light: <https:\/\/posture\.example\/devices\/dev_1\|&lt;!channel&gt; /);
    // Exactly one real link: ours.
    expect(text.match(/</g)).toHaveLength(1);
  });
});

describe('signed, escaped webhook delivery (pglite)', () => {
  let c: TestCollector;
  let receiver: Server;
  const hits: { headers: Record<string, string | string[] | undefined>; raw: string }[] = [];
  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let b = '';
      req.on('data', (d) => (b += d));
      req.on('end', () => {
        hits.push({ headers: req.headers, raw: b });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    c = await startTestCollector('pglite', {
      POSTURE_WEBHOOK_URL: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
      POSTURE_WEBHOOK_SECRET: SECRET,
      POSTURE_JOB_INTERVAL_MS: '300',
    });
    const policy = { ...withGrace(DEFAULT_POLICY, 0), alerts: { on: ['noncompliant'] } };
    expect((await c.api('/api/v1/policy', { method: 'PUT', body: JSON.stringify(policy) })).status).toBe(200);
  }, 60_000);
  afterAll(async () => {
    await c?.cleanup();
    await new Promise((r) => receiver?.close(r));
  });

  it('a hostile hostname arrives as plain text, the body verifies with the secret, a forged body does not', async () => {
    const dev = await reportingDevice(c.url, EVIL.slice(0, 60));
    await dev.report({ fail: ['disk_encryption'] });
    await waitFor(async () => hits.length >= 1, 20_000);
    dev.close();
    const h = hits[0];
    const body = JSON.parse(h.raw);
    expect(body.text).not.toContain('<!channel>');
    expect(body.text).not.toContain('<https://evil');
    expect(body.text).toContain('&lt;!channel&gt;');
    expect(body.text).toContain('Disk encryption');
    const ts = String(h.headers['x-posture-timestamp']);
    const sig = String(h.headers['x-posture-signature']);
    expect(sig).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(verifyWebhook(SECRET, ts, h.raw, sig)).toBe(true);
    expect(verifyWebhook(SECRET, ts, h.raw.replace('disk_encryption', 'firewall'), sig)).toBe(false);
    expect(verifyWebhook('another-secret', ts, h.raw, sig)).toBe(false);
    expect(verifyWebhook(SECRET, String(Number(ts) - 3600), h.raw, sig)).toBe(false); // replayed an hour later
  }, 40_000);
});
