/** Debian chromium driven by playwright-core, with the flags that keep it quiet and offline. */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ADMIN_TOKEN, ROOT } from '../helpers/collector.js';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = join(ROOT, 'test-artifacts');

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export const shot = (name: string) => join(ARTIFACTS, `${name}.png`);

/** Sign `page` in to the dashboard at `url` with an API token (the login form's token field); lands on the fleet page. */
export async function signInWithToken(page: Page, url: string, token = ADMIN_TOKEN): Promise<void> {
  await page.goto(`${url}/login`);
  await page.fill('input[name=token]', token);
  await Promise.all([page.waitForURL(`${url}/`), page.click('button[type=submit]')]);
}
