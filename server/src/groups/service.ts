/**
 * Device groups: creating and changing them, static membership, rule membership kept in step
 * with the devices (enrolment, owner changes, hostname/platform changes, rule edits), and the
 * re-evaluation of the devices whose effective policy changed, at once and in bounded batches
 * (each batch its own transaction, so a 20,000-device group never holds one long lock).
 */
import type { Db, Queryable } from '../db/types.js';
import type { Policy } from '#shared/policy/schema.js';
import { audit } from '../audit/log.js';
import { deviceEvent } from '../people/owners.js';
import { reevaluateDevice } from '../exclusions/reevaluate.js';
import { closeGroupWindows, closeMembership, closeRevokedWindows, deleteGroupRow, deviceFacts, listGroups, memberIds, openMembership, type GroupRow, type WindowChange } from './dal.js';
import { matchesRule } from './rule.js';

/** Devices per re-evaluation transaction, and per rule-matching page. */
export const REEVALUATE_BATCH = 100;
const FACTS_PAGE = 500;

export interface MembershipChange {
  deviceId: string;
  group: string;
  joined: boolean;
}

/**
 * The audit entry that binds one membership window (its opening, or its closing) to the
 * evidence: the verifier matches each row of the bundle's group-memberships.csv against these
 * by `windowId`, with the exact `since`/`until`, so a window edited in the database (moved,
 * stretched, deleted, added) fails verification naming its row (scripts/evidence/audit-check.ts).
 */
export async function auditWindow(q: Queryable, w: WindowChange, actor: string, ip?: string | null): Promise<void> {
  await audit(q, {
    actor,
    action: w.until ? 'group.member.remove' : 'group.member.add',
    target: w.deviceId,
    ip: ip ?? null,
    detail: { group: w.group, windowId: w.windowId, source: w.source, since: w.since.toISOString(), ...(w.until ? { until: w.until.toISOString() } : {}) },
  });
}

async function recordChange(q: Queryable, w: WindowChange, actor: string, ip: string | null | undefined): Promise<MembershipChange> {
  await deviceEvent(q, w.deviceId, w.until ? 'group.left' : 'group.joined', actor, { group: w.group });
  await auditWindow(q, w, actor, ip);
  return { deviceId: w.deviceId, group: w.group, joined: !w.until };
}

/** Assign devices to a static group (already members are left as they are). */
export async function addStaticMembers(q: Queryable, g: GroupRow, deviceIds: readonly string[], actor: string, ip?: string | null, at = new Date()): Promise<MembershipChange[]> {
  const out: MembershipChange[] = [];
  for (const id of deviceIds) {
    const w = await openMembership(q, g, id, 'static', actor, at);
    if (w) out.push(await recordChange(q, w, actor, ip));
  }
  return out;
}

/** Take devices out of a static group (non-members are left as they are). */
export async function removeStaticMembers(q: Queryable, g: GroupRow, deviceIds: readonly string[], actor: string, ip?: string | null, at = new Date()): Promise<MembershipChange[]> {
  const out: MembershipChange[] = [];
  for (const id of deviceIds) {
    const w = await closeMembership(q, g.id, id, at);
    if (w) out.push(await recordChange(q, w, actor, ip));
  }
  return out;
}

/** Bring rule membership of the given rule groups in step for the given devices (facts already loaded). */
async function applyRules(q: Queryable, groups: readonly GroupRow[], facts: Awaited<ReturnType<typeof deviceFacts>>, actor: string, at: Date): Promise<MembershipChange[]> {
  const out: MembershipChange[] = [];
  if (!facts.length) return out;
  const ids = JSON.stringify(facts.map((f) => f.id));
  for (const g of groups) {
    if (g.kind !== 'rule' || !g.rule) continue;
    const cur = await q.query<{ device_id: string }>(
      'SELECT device_id FROM device_group_members WHERE group_id = $1 AND until IS NULL AND device_id IN (SELECT jsonb_array_elements_text($2::jsonb))',
      [g.id, ids],
    );
    const member = new Set(cur.rows.map((r) => r.device_id));
    for (const f of facts) {
      const want = matchesRule(g.rule, f);
      if (want === member.has(f.id)) continue;
      const w = want ? await openMembership(q, g, f.id, 'rule', actor, at) : await closeMembership(q, g.id, f.id, at);
      if (!w) continue;
      await deviceEvent(q, f.id, want ? 'group.joined' : 'group.left', actor, { group: g.name, by: 'rule' });
      await auditWindow(q, w, actor);
      out.push({ deviceId: f.id, group: g.name, joined: want });
    }
  }
  return out;
}

/**
 * Re-match every rule group against some devices (after enrolment, an owner change, a report
 * that changed hostname or platform). In the caller's transaction; returns what changed.
 */
export async function syncDevices(q: Queryable, deviceIds: readonly string[], actor: string, at = new Date()): Promise<MembershipChange[]> {
  if (!deviceIds.length) return [];
  const groups = (await listGroups(q)).filter((g) => g.kind === 'rule');
  if (!groups.length) return [];
  return applyRules(q, groups, await deviceFacts(q, { ids: deviceIds }), actor, at);
}

/** Re-match one rule group against the whole fleet, a page of devices per transaction. */
export async function syncGroup(db: Db, g: GroupRow, actor: string, at = new Date()): Promise<MembershipChange[]> {
  const out: MembershipChange[] = [];
  let after = '';
  for (;;) {
    const page = await db.tx(async (q) => {
      const facts = await deviceFacts(q, { afterId: after, limit: FACTS_PAGE });
      out.push(...(await applyRules(q, [g], facts, actor, at)));
      return facts;
    });
    if (page.length < FACTS_PAGE) break;
    after = page[page.length - 1].id;
  }
  // Members that were revoked since are not matched above: a revoked device leaves its groups.
  if (g.kind === 'rule')
    await db.tx(async (q) => {
      for (const w of await closeRevokedWindows(q, g.id, at)) await auditWindow(q, w, actor);
    });
  return out;
}

/** Every current member of a group (for re-evaluation after its policy or the group itself changed). */
export async function allMembers(q: Queryable, groupId: string): Promise<string[]> {
  const out: string[] = [];
  for (let after = ''; ; ) {
    const page = await memberIds(q, groupId, after, 5000);
    out.push(...page);
    if (page.length < 5000) return out;
    after = page[page.length - 1];
  }
}

/**
 * Delete a group in the caller's transaction: its open windows close (each audited; the
 * windows stay, as evidence) and the row goes. Returns the devices that were members.
 */
export async function deleteGroup(q: Queryable, g: GroupRow, actor: string, ip?: string | null): Promise<string[]> {
  const closed = await closeGroupWindows(q, g.id, new Date());
  for (const w of closed) await auditWindow(q, w, actor, ip);
  await deleteGroupRow(q, g.id);
  await audit(q, { actor, action: 'group.delete', target: `group:${g.id}`, ip: ip ?? null, detail: { name: g.name, members: closed.length } });
  return closed.map((w) => w.deviceId);
}

/**
 * Re-evaluate devices from their latest stored report under the policy in force (with their
 * groups' overrides), REEVALUATE_BATCH devices per transaction. Returns how many changed state.
 */
export async function reevaluateDevices(db: Db, policy: () => Policy, alertOn: () => string[], deviceIds: readonly string[], cause: Record<string, unknown>): Promise<{ devices: number; changed: number; batches: number }> {
  const ids = [...new Set(deviceIds)];
  let changed = 0;
  let batches = 0;
  for (let i = 0; i < ids.length; i += REEVALUATE_BATCH) {
    const batch = ids.slice(i, i + REEVALUATE_BATCH);
    batches++;
    changed += await db.tx(async (q) => {
      let n = 0;
      for (const id of batch) {
        const r = await reevaluateDevice(q, policy(), id, alertOn(), cause);
        if (r && r.from !== r.to) n++;
      }
      return n;
    });
  }
  return { devices: ids.length, changed, batches };
}

/**
 * Names of groups whose overrides differ between two policies: an entry added, removed or
 * changed, or moved (order is precedence). Their members are re-evaluated.
 */
export function changedPolicyGroups(before: Policy | null, after: Policy): string[] {
  const a = new Map((before?.groups ?? []).map((g, i) => [g.name, { i, s: JSON.stringify(g) }]));
  const b = new Map((after.groups ?? []).map((g, i) => [g.name, { i, s: JSON.stringify(g) }]));
  const out = new Set<string>();
  for (const [n, x] of a) if (!b.has(n) || b.get(n)!.s !== x.s || b.get(n)!.i !== x.i) out.add(n);
  for (const n of b.keys()) if (!a.has(n)) out.add(n);
  // A global setting every group inherits (the owner requirement) changes everyone: not here —
  // the next report applies it; only group-scoped changes are pushed at once.
  return [...out];
}

/**
 * People changed in the identity provider (department, IdP group membership, status): re-match
 * their devices against the rule groups and re-evaluate those whose groups changed, at once.
 * Returns the devices whose membership changed.
 */
export async function syncPeopleDevices(db: Db, personIds: readonly string[], actor: string, policy: () => Policy, alertOn: () => string[]): Promise<string[]> {
  if (!personIds.length) return [];
  const devs = await db.query<{ id: string }>(
    `SELECT id FROM devices WHERE owner_person_id IN (SELECT jsonb_array_elements_text($1::jsonb)) AND revoked_at IS NULL ORDER BY id`,
    [JSON.stringify([...new Set(personIds)])],
  );
  const changed: string[] = [];
  for (let i = 0; i < devs.rows.length; i += FACTS_PAGE) {
    const ids = devs.rows.slice(i, i + FACTS_PAGE).map((r) => r.id);
    const c = await db.tx((q) => syncDevices(q, ids, actor));
    changed.push(...new Set(c.map((x) => x.deviceId)));
  }
  await reevaluateDevices(db, policy, alertOn, changed, { groupsChanged: true, by: actor });
  return changed;
}
