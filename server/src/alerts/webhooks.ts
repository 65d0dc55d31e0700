/**
 * Webhooks configured on the Alerts page (stored in `webhooks`, migration 012), plus the
 * read-only entry from the environment (POSTURE_WEBHOOK_URL / POSTURE_WEBHOOK_SECRET) or the
 * policy's `alerts.webhookUrl`, which keeps working as before under the id `env`.
 * Each stored webhook has its own HMAC secret (signature.ts) and the events it wants.
 */
import type { Queryable } from '../db/types.js';
import { newId, newSecret } from '../shared/crypto.js';
import { ApiError } from '../shared/errors.js';
import { audit } from '../audit/log.js';
import type { PolicyChange } from '#shared/policy/diff.js';

/** The transitions an alert can be about (alerts/outbox.ts). */
export const ALERT_EVENTS = ['noncompliant', 'stale', 'recovered'] as const;
export type AlertEvent = (typeof ALERT_EVENTS)[number];

/** The id of the read-only environment/policy entry. */
export const ENV_WEBHOOK_ID = 'env';

/** One place deliveries go: URL, signing key (unsigned when absent) and the events it receives. */
export interface DeliveryTarget {
  id: string;
  url: string;
  secret?: string;
  events: string[];
}

/** A webhook as the API and the page show it (never the secret). */
export interface WebhookView {
  id: string;
  label: string;
  url: string;
  events: string[];
  enabled: boolean;
  /** true for the environment/policy entry: shown, tested, never edited here. */
  readOnly: boolean;
  /** Where the read-only entry comes from, e.g. "POSTURE_WEBHOOK_URL". */
  source: string;
  signed: boolean;
  createdBy: string | null;
  createdAt: string | null;
}

type Row = { id: string; label: string; url: string; secret: string; events: string[]; enabled: boolean; created_by: string; created_at: Date };

/**
 * A webhook URL must be absolute http(s) without credentials in it; refused with a 400 naming
 * `body/url` otherwise (a URL fetch() would refuse later is a deterministic failure).
 */
export function checkWebhookUrl(raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ApiError(400, 'POSTURE_ERR_VALIDATION', 'body/url: not an absolute URL.', { field: 'body/url' });
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new ApiError(400, 'POSTURE_ERR_VALIDATION', 'body/url: must be http:// or https://.', { field: 'body/url' });
  if (u.username || u.password) throw new ApiError(400, 'POSTURE_ERR_VALIDATION', 'body/url: must not carry a user name or password; use the signing secret.', { field: 'body/url' });
  return u.toString();
}

/** Events deduplicated in their canonical order. */
const canonical = (events: string[]) => ALERT_EVENTS.filter((e) => events.includes(e));

/** Stored webhooks (not deleted), oldest first, without secrets. */
export async function listStoredWebhooks(q: Queryable): Promise<WebhookView[]> {
  const r = await q.query<Row>('SELECT id, label, url, secret, events, enabled, created_by, created_at FROM webhooks WHERE deleted_at IS NULL ORDER BY created_at, id');
  return r.rows.map((w) => ({
    id: w.id, label: w.label, url: w.url, events: w.events, enabled: w.enabled, readOnly: false, source: 'dashboard', signed: true,
    createdBy: w.created_by, createdAt: new Date(w.created_at).toISOString(),
  }));
}

/** Enabled stored webhooks with their secrets, for the worker. */
export async function storedTargets(q: Queryable): Promise<DeliveryTarget[]> {
  const r = await q.query<Row>('SELECT id, url, secret, events FROM webhooks WHERE deleted_at IS NULL AND enabled ORDER BY created_at, id');
  return r.rows.map((w) => ({ id: w.id, url: w.url, secret: w.secret, events: w.events }));
}

/** The environment/policy entry, when a URL is configured there. */
export function envTarget(env: { webhookUrl?: string; webhookSecret?: string }, policyAlerts: { webhookUrl?: string; on?: string[] } | undefined): (DeliveryTarget & { source: string }) | null {
  const url = env.webhookUrl ?? policyAlerts?.webhookUrl;
  if (!url) return null;
  return { id: ENV_WEBHOOK_ID, url, secret: env.webhookSecret, events: policyAlerts?.on ?? [], source: env.webhookUrl ? 'POSTURE_WEBHOOK_URL' : 'policy alerts.webhookUrl' };
}

export function envView(t: DeliveryTarget & { source: string }): WebhookView {
  return { id: t.id, label: `from ${t.source}`, url: t.url, events: t.events, enabled: true, readOnly: true, source: t.source, signed: !!t.secret, createdBy: null, createdAt: null };
}

/**
 * Create a webhook. Without `secret` a random one is generated; either way it is returned
 * once (the receiver needs it to verify signatures) and never shown again.
 */
export async function createWebhook(q: Queryable, w: { label?: string; url: string; events: string[]; secret?: string; createdBy: string }): Promise<{ id: string; secret: string }> {
  const id = newId('wh');
  const secret = w.secret ?? newSecret('whsec', 32);
  await q.query('INSERT INTO webhooks (id, label, url, secret, events, created_by) VALUES ($1,$2,$3,$4,$5,$6)', [
    id, w.label ?? '', checkWebhookUrl(w.url), secret, JSON.stringify(canonical(w.events)), w.createdBy,
  ]);
  return { id, secret };
}

/** Change label, URL, events or enabled; false when there is no such (undeleted) webhook. */
export async function updateWebhook(q: Queryable, id: string, p: { label?: string; url?: string; events?: string[]; enabled?: boolean }): Promise<boolean> {
  const r = await q.query(
    `UPDATE webhooks SET label = COALESCE($2, label), url = COALESCE($3, url), events = COALESCE($4, events), enabled = COALESCE($5, enabled), updated_at = now()
      WHERE id = $1 AND deleted_at IS NULL RETURNING id`,
    [id, p.label ?? null, p.url === undefined ? null : checkWebhookUrl(p.url), p.events ? JSON.stringify(canonical(p.events)) : null, p.enabled ?? null],
  );
  // A disabled webhook gets no new alerts; deliveries already queued for it wait and go out if it is enabled again.
  return r.rows.length > 0;
}

/** What a change may set on a stored webhook (the secret is rotated apart: rotateWebhookSecret). */
export interface WebhookPatch {
  label?: string;
  url?: string;
  events?: string[];
  enabled?: boolean;
}

/**
 * A URL as the audit log keeps it: the origin, plus "/…" when it has a path (a Slack webhook
 * URL's path is itself a credential and must not reach the log).
 */
export function auditUrl(url: string): string {
  const u = new URL(url);
  return u.pathname.length > 1 || u.search ? `${u.origin}/…` : u.origin;
}

/**
 * Change a stored webhook and write its audit entry, in the caller's transaction: the one way
 * the API's PATCH and the enable/disable routes change a webhook. The entry's detail is a
 * readable diff (`changes: [{path, from, to}]`, the shape the audit page prints one line per
 * setting, as for policy changes) of what actually changed; a URL is recorded by auditUrl, and
 * a changed path under the same origin says so. `action` names the entry (webhook.update,
 * webhook.enable, webhook.disable). Returns the changes, or null when there is no such webhook.
 * Bad input (a URL that is not absolute http(s)) is refused with a 400 naming body/url.
 */
export async function changeWebhook(q: Queryable, id: string, patch: WebhookPatch, actor: string, ip: string | null, action = 'webhook.update'): Promise<PolicyChange[] | null> {
  const before = (await q.query<Row>('SELECT id, label, url, events, enabled FROM webhooks WHERE id = $1 AND deleted_at IS NULL FOR UPDATE', [id])).rows[0];
  if (!before) return null;
  const url = patch.url === undefined ? undefined : checkWebhookUrl(patch.url);
  const events = patch.events === undefined ? undefined : canonical(patch.events);
  const changes: PolicyChange[] = [];
  if (patch.label !== undefined && patch.label !== before.label) changes.push({ path: 'label', from: before.label, to: patch.label });
  if (url !== undefined && url !== before.url) {
    const [from, to] = [auditUrl(before.url), auditUrl(url)];
    changes.push({ path: 'url', from, to: from === to ? `${to} (path changed)` : to });
  }
  if (events !== undefined && events.join(',') !== before.events.join(',')) changes.push({ path: 'events', from: before.events, to: events });
  if (patch.enabled !== undefined && patch.enabled !== before.enabled) changes.push({ path: 'enabled', from: before.enabled, to: patch.enabled });
  await updateWebhook(q, id, { label: patch.label, url, events, enabled: patch.enabled });
  await audit(q, { actor, action, target: id, ip, detail: { changes } });
  return changes;
}

/** Enable or disable a stored webhook (audited as webhook.enable / webhook.disable); null when there is none. */
export function setWebhookEnabled(q: Queryable, id: string, enabled: boolean, actor: string, ip: string | null): Promise<PolicyChange[] | null> {
  return changeWebhook(q, id, { enabled }, actor, ip, enabled ? 'webhook.enable' : 'webhook.disable');
}

/** A new random secret, returned once. */
export async function rotateWebhookSecret(q: Queryable, id: string): Promise<string | null> {
  const secret = newSecret('whsec', 32);
  const r = await q.query('UPDATE webhooks SET secret = $2, updated_at = now() WHERE id = $1 AND deleted_at IS NULL RETURNING id', [id, secret]);
  return r.rows.length ? secret : null;
}

/** Soft delete (the delivery log keeps naming it); its queued deliveries are given up. */
export async function deleteWebhook(q: Queryable, id: string): Promise<boolean> {
  const r = await q.query('UPDATE webhooks SET deleted_at = now(), enabled = false WHERE id = $1 AND deleted_at IS NULL RETURNING id', [id]);
  if (!r.rows.length) return false;
  await q.query(`UPDATE webhook_deliveries SET failed_at = now(), last_error = 'webhook deleted' WHERE webhook_id = $1 AND delivered_at IS NULL AND failed_at IS NULL`, [id]);
  return true;
}

/** The signing secret of one stored webhook (for Send test), or null. */
export async function storedTarget(q: Queryable, id: string): Promise<DeliveryTarget | null> {
  const r = await q.query<Row>('SELECT id, url, secret, events FROM webhooks WHERE id = $1 AND deleted_at IS NULL', [id]);
  const w = r.rows[0];
  return w ? { id: w.id, url: w.url, secret: w.secret, events: w.events } : null;
}
