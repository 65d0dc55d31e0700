/**
 * End to end, real everything: a collector, a real agent process (file probes under
 * POSTURE_ROOT), `posture-agent open --print`, and Chromium. A failing usb_storage check on
 * the My-device page turns passing after the employee fixes it and clicks "Re-check now".
 */
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { startTestCollector, ENROLL_SECRET, ROOT, type TestCollector } from '../helpers/collector.js';
import { runAgentCli, startAgentProcess, waitFor } from '../helpers/agent.js';
import { tempDir, PG_URL } from '../helpers/db.js';

const ARTIFACTS = join(ROOT, 'test-artifacts');
const CHROMIUM = '/usr/bin/chromium';

describe('My-device page in a real browser', () => {
  let c: TestCollector;
  let agent: ReturnType<typeof startAgentProcess> | null = null;
  let browser: Browser | null = null;
  const stateDir = tempDir('posture-agent-');
  const root = tempDir('posture-root-');
  const env = { POSTURE_ROOT: root, POSTURE_AGENT_DIR: stateDir };

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    c = await startTestCollector(PG_URL ? 'pg' : 'pglite');
    const e = await runAgentCli(['enroll', '--server', c.url, '--secret', ENROLL_SECRET], env);
    expect(e.code, e.stderr).toBe(0);
    agent = startAgentProcess(['run', '--interval', '3600'], env);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await agent?.stop();
    await c?.cleanup();
  });

  it('shows usb_storage failing, then passing after the fix and "Re-check now"', async () => {
    expect(existsSync(CHROMIUM)).toBe(true);
    // The agent's start-up report has arrived.
    await waitFor(async () => (await c.db.query("SELECT 1 FROM check_states WHERE check_id = 'usb_storage'")).rows.length > 0, 60_000);

    const open = await runAgentCli(['open', '--print'], env);
    expect(open.code, open.stderr).toBe(0);
    const link = open.stdout.trim();
    expect(link).toMatch(new RegExp(`^${c.url}/my-device\\?t=[\\w-]+\\.[\\w-]+\\.[\\w-]+$`));

    const page = await browser!.newPage();
    await page.goto(link);
    await page.waitForURL(`${c.url}/my-device`); // the token left the address bar
    const usb = page.locator('[data-check="usb_storage"]');
    await expect.poll(() => usb.getAttribute('data-state')).toMatch(/^(failing|noncompliant)$/);
    expect(await usb.innerText()).toContain('USB mass storage is allowed');
    expect(await usb.innerText()).toContain('install usb-storage /bin/false'); // the fix step
    expect(await page.locator('#what-is-collected').innerText()).toContain('/etc/modprobe.d');
    await page.screenshot({ path: join(ARTIFACTS, 'my-device-failing.png'), fullPage: true });

    // The employee follows the first step (under the probe's root prefix).
    mkdirSync(join(root, 'etc', 'modprobe.d'), { recursive: true });
    writeFileSync(join(root, 'etc', 'modprobe.d', 'posture-test.conf'), 'install usb-storage /bin/false\n');

    const clicked = Date.now();
    await page.click('#recheck');
    // The page polls for the result for up to 120 s; how fast it comes is a benchmark figure, not
    // this test's: under CI load a re-check cycle took longer than 10 s (it is only logged here).
    await expect.poll(() => page.locator('[data-check="usb_storage"]').getAttribute('data-state'), { timeout: 90_000, interval: 200 }).toBe('pass');
    const seconds = (Date.now() - clicked) / 1000;
    console.log(`[my-device e2e] usb_storage shown passing ${seconds.toFixed(1)} s after "Re-check now"`);
    expect(await page.locator('#recheck-status').innerText()).toContain('Updated');
    expect(await page.locator('[data-check="usb_storage"]').innerText()).toContain('blocked');
    await page.screenshot({ path: join(ARTIFACTS, 'my-device-passing.png'), fullPage: true });

    // `posture-agent run` hands every cycle to the notifier: here (no desktop session) it says so once, quietly.
    await waitFor(async () => /notified: Posture|desktop notification not shown \(no-session|not-installed|failed/.test(agent!.output()), 15_000);
    expect(agent!.output().match(/desktop notification not shown/g)?.length ?? 0).toBeLessThanOrEqual(1);

    // The check-now came from the page, over the agent's socket, and completed.
    const cmd = await c.db.query<{ created_by: string; completed_at: Date | null }>("SELECT created_by, completed_at FROM commands WHERE command = 'check-now' ORDER BY created_at DESC LIMIT 1");
    expect(cmd.rows[0].created_by).toMatch(/^device-link:/);
    expect(cmd.rows[0].completed_at).not.toBeNull();
  }, 240_000);
});
