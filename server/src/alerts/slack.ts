/**
 * Alert text for Slack-compatible webhooks. Everything a device controls (hostname, check
 * ids it reported, evidence) is escaped per Slack's rules — `&` → `&amp;`, `<` → `&lt;`,
 * `>` → `&gt;` (https://api.slack.com/reference/surfaces/formatting#escaping) — so
 * `<!channel>`, `<@U123>` and disguised links `<https://evil|your bank>` arrive as plain text.
 * Only the link we build ourselves (to the device page) is a real link.
 */
import type { OutboxRow } from './outbox.js';
import { checkTitle } from '#shared/checks/catalogue.js';

/** Slack's three control characters as entities: no mention, channel ping or link can be formed. */
export const escapeSlackEntities = (s: string): string => s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** Escape device-controlled text for Slack mrkdwn; also breaks `*`/`_`/`~`/`` ` `` formatting runs. */
export function escapeSlack(s: string): string {
  // U+200B after formatting characters stops a hostname like "*URGENT*" from rendering bold.
  return escapeSlackEntities(s).replace(/([*_~`])/g, '$1\u200b').slice(0, 500);
}

/**
 * The message text for one alert: what happened, to which device (linked to its page when the
 * public URL is known), the checks that are actually noncompliant (past their grace), and for
 * a stale device when it was last seen. Checks read by title ("Firewall"); a custom check by its id.
 */
export function alertText(p: OutboxRow['payload'], kind: string, publicUrl?: string): string {
  const host = escapeSlack(String(p.hostname ?? p.deviceId ?? 'a device'));
  const id = String(p.deviceId ?? '');
  const device = publicUrl && /^[A-Za-z0-9._:-]+$/.test(id) ? `<${publicUrl.replace(/\/$/, '')}/devices/${id}|${host}>` : host;
  const checks = Array.isArray(p.failingChecks) ? p.failingChecks.map((c) => escapeSlackEntities(checkTitle(String(c))).slice(0, 80)) : [];
  if (kind === 'recovered') return `:white_check_mark: ${device} is ${escapeSlack(String(p.to))} again (was ${escapeSlack(String(p.from))}).`;
  if (kind === 'stale') {
    const seen = typeof p.lastSeenAt === 'string' ? `; last seen ${p.lastSeenAt.replace('T', ' ').slice(0, 16)} UTC` : '';
    return `:warning: ${device} has not reported and is now stale${seen}.`;
  }
  return `:rotating_light: ${device} is noncompliant: ${checks.join(', ') || 'see dashboard'}.`;
}
