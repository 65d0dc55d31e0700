/**
 * The policy each agent is sent (interval, thresholds) with its groups' overrides: in the
 * welcome on connect, when the policy changes, and when the device's groups change. Falls
 * back to the policy as written when the lookup fails (an agent without a welcome is worse).
 */
import type { Db } from '../db/types.js';
import type { AgentPolicy } from '#shared/protocol/messages.js';
import type { PolicyStore } from '../policy/store.js';
import type { Hub } from '../gateway/hub.js';

/** Per device id: its agent policy (devices not found get the policy as written). */
export async function agentPoliciesFor(db: Db, store: PolicyStore, deviceIds: readonly string[]): Promise<Map<string, AgentPolicy>> {
  const out = new Map<string, AgentPolicy>();
  if (!deviceIds.length) return out;
  const r = await db.query<{ id: string; platform: string; groups: string[] }>(
    `SELECT d.id, d.platform, ARRAY(SELECT m.group_name FROM device_group_members m WHERE m.device_id = d.id AND m.until IS NULL ORDER BY m.group_name) AS groups
       FROM devices d WHERE d.id IN (SELECT jsonb_array_elements_text($1::jsonb))`,
    [JSON.stringify(deviceIds)],
  );
  for (const x of r.rows) out.set(x.id, store.agentPolicy(x.platform, x.groups ?? []));
  return out;
}

export async function agentPolicyFor(db: Db, store: PolicyStore, deviceId: string): Promise<AgentPolicy> {
  try {
    return (await agentPoliciesFor(db, store, [deviceId])).get(deviceId) ?? store.agentPolicy();
  } catch {
    return store.agentPolicy();
  }
}

/** Push each device its (new) policy, wherever it is connected (hub: locally or via NOTIFY). */
export async function pushAgentPolicies(db: Db, store: PolicyStore, hub: Hub, deviceIds: readonly string[]): Promise<void> {
  for (let i = 0; i < deviceIds.length; i += 1000) {
    const m = await agentPoliciesFor(db, store, deviceIds.slice(i, i + 1000));
    for (const [id, policy] of m) await hub.sendCommand(id, { type: 'command', commandId: `pol_${Date.now()}`, command: 'policy-update', policy });
  }
}
