/**
 * The auditor's summary.html printed (issue 18 #14): for a 10-device fleet exported through
 * HTTP, Chromium's A4 PDF of it is ONE page (and without the print CSS it is not, so the
 * page count is what the print rules buy); it names ISO 27001 beside SOC 2 and CIS. The
 * CSVs start with a UTF-8 BOM for Excel, and a revoked device is never shown as compliant.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Browser } from 'playwright-core';
import { parseCsv } from '#shared/evidence/csv.js';
import { CHECK_IDS } from '#shared/checks/ids.js';
import { ADMIN_TOKEN, startTestCollector, type TestCollector } from '../helpers/collector.js';
import { tempDir } from '../helpers/db.js';
import { launchBrowser } from '../dashboard/browser.js';
import { unpackTarGz } from '../../scripts/evidence/unpack.js';
import { verifyBundleDir } from '../../scripts/evidence/verify-bundle.js';
import { every, seedDevices, type SeedDevice } from './seed.js';

const H = 3_600_000;
const DAY = 24 * H;
const TO = new Date(Math.floor(Date.now() / H) * H - DAY);
const FROM = new Date(TO.getTime() - 10 * DAY);
const d = (days: number) => new Date(FROM.getTime() + days * DAY);

/** Pages in a PDF: page objects (`/Type /Page`, not the `/Pages` tree nodes). */
const pdfPages = (pdf: Buffer) => (pdf.toString('latin1').match(/\/Type\s*\/Page(?![a-z])/g) ?? []).length;

describe('summary.html on A4, CSVs for Excel, revoked devices', () => {
  let tc: TestCollector;
  let browser: Browser;
  let bundle: string;
  let work: string; // the PDFs, kept for a look when a test fails

  beforeAll(async () => {
    tc = await startTestCollector('pglite');
    const devices: SeedDevice[] = [];
    for (let i = 0; i < 10; i++) {
      const fails = i < 8; // most of the fleet fails a check at some point: the noncompliant table fills up
      devices.push({
        id: `dev-${i}`, hostname: `laptop-${i}.corp.example`, owner: `person${i}@example.com`, enrolledAt: d(-20),
        // dev-9 is revoked on day 4 while its firewall is still failing
        ...(i === 9 ? { revokedAt: d(4) } : {}),
        reportTimes: every(d(-1), i === 9 ? d(4) : TO, 6),
        events: [
          ...(fails ? [{ checkId: CHECK_IDS[i % CHECK_IDS.length], to: 'failing', at: d(1) }, { checkId: CHECK_IDS[i % CHECK_IDS.length], to: 'pass', at: d(5 + i) }] : []),
          ...(i === 9 ? [{ checkId: 'firewall', to: 'failing', at: d(2) }] : []),
        ],
      });
    }
    await seedDevices(tc.db, devices);
    work = tempDir('posture-print-');
    bundle = join(work, 'bundle');
    mkdirSync(bundle);
    const res = await fetch(`${tc.url}/api/v1/evidence?from=${FROM.toISOString()}&to=${TO.toISOString()}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    await unpackTarGz(Readable.fromWeb(res.body as never), bundle);
    browser = await launchBrowser();
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await tc?.cleanup();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the bundle verifies', async () => {
    const r = await verifyBundleDir(bundle);
    expect(r.problems).toEqual([]);
    expect(r.recomputed?.devices).toBe(10);
  });

  it('summary.html prints on one A4 page; without its print CSS it would not', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`file://${join(bundle, 'summary.html')}`);
      expect(await page.locator('table').first().locator('tbody tr').count()).toBe(CHECK_IDS.length);
      expect(await page.locator('table').nth(1).locator('tbody tr').count()).toBeGreaterThanOrEqual(6);
      const pdf = await page.pdf({ format: 'A4' });
      writeFileSync(join(work, 'summary-a4.pdf'), pdf);
      expect(pdfPages(pdf)).toBe(1);
      const html = readFileSync(join(bundle, 'summary.html'), 'utf8');
      const bare = html.replace(/@page\{[^}]*\}/, '').replace(/@media print\{[\s\S]*?\n\}/, '');
      expect(bare).not.toBe(html);
      const copy = join(work, 'summary-bare.html');
      writeFileSync(copy, bare);
      await page.goto(`file://${copy}`);
      expect(pdfPages(await page.pdf({ format: 'A4' }))).toBeGreaterThan(1);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('names ISO 27001 beside SOC 2 and CIS, per check, in summary.html and controls.csv', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`file://${join(bundle, 'summary.html')}`);
      const head = await page.locator('table').first().locator('thead th').allInnerTexts();
      expect(head.slice(1, 4)).toEqual(['SOC 2', 'ISO 27001', 'CIS v8']);
      const fw = await page.locator('table').first().locator('tbody tr', { hasText: /firewall/i }).first().locator('td').allInnerTexts();
      expect(fw.slice(1, 4)).toEqual(['CC6.6', 'A.8.20', '4.5']);
    } finally {
      await page.close();
    }
    const ctl = parseCsv(readFileSync(join(bundle, 'controls.csv'), 'utf8'));
    expect(ctl[0].slice(2, 5)).toEqual(['soc2', 'cis_v8', 'iso27001']);
    expect(ctl.find((r) => r[0] === 'firewall')!.slice(2, 5)).toEqual(['CC6.6', '4.5', 'A.8.20']);
  });

  it('every CSV starts with a UTF-8 BOM', () => {
    const csvs = readdirSync(bundle).filter((f) => f.endsWith('.csv'));
    expect(csvs.length).toBeGreaterThanOrEqual(5);
    for (const f of csvs) expect(readFileSync(join(bundle, f)).subarray(0, 3), f).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
  });

  it('a revoked device is revoked, not compliant, in devices.csv and summary.html', async () => {
    const rows = parseCsv(readFileSync(join(bundle, 'devices.csv'), 'utf8'));
    const head = rows[0];
    const r9 = rows.find((r) => r[0] === 'dev-9')!;
    expect(r9[head.indexOf('state_at_period_end')]).toBe('revoked');
    for (const c of CHECK_IDS) expect(r9[head.indexOf(`${c}_state_at_period_end`)], c).toBe('revoked');
    // its time is counted only until revocation, while the firewall was failing: not 100 %
    expect(Number(r9[head.indexOf('overall_pct_compliant')])).toBeLessThan(100);
    const others = rows.slice(1).filter((r) => r[0] !== 'dev-9').map((r) => r[head.indexOf('state_at_period_end')]);
    // dev-5..7 are fixed after the period ends (day 10..12): noncompliant at its end
    expect(others).toEqual(['compliant', 'compliant', 'compliant', 'compliant', 'compliant', 'noncompliant', 'noncompliant', 'noncompliant', 'compliant']);
    const html = readFileSync(join(bundle, 'summary.html'), 'utf8');
    // Each count is a marked figure (data-figure, recomputed by the verifier); the text reads the same.
    expect(html.replace(/<[^>]+>/g, '')).toMatch(/State at the end of the period: compliant 6 · noncompliant 3 · revoked 1 · /);
    expect(html).toContain('data-figure="state_at_end:revoked">1</span>');
    expect(html).toMatch(/<b data-figure="revoked_in_period">1<\/b>revoked during the period/);
  });
});
