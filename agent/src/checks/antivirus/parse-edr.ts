/**
 * EDR sensors' own health reports. A sensor counts as protection only when its tool
 * positively says so: registered (has an agent id), not in reduced functionality mode,
 * connected to its console. Every parser returns `healthy: null` unless each of those is
 * read in so many words; `false` only for an explicit bad answer. Unknown wording,
 * another language or a truncated answer is therefore never "healthy".
 */
export interface EdrHealth {
  healthy: boolean | null;
  /** What was read, for evidence and `--explain`. */
  agentId: string | null;
  problems: string[];
}

const clean = (text: string) => text.replace(/^\uFEFF/, '').replace(/\0/g, '').replace(/\r\n?/g, '\n');

/**
 * CrowdStrike Linux `falconctl -g --aid --rfm-state` (root): one line of comma-separated
 * `key=value` answers, e.g. `aid="3c1f…", rfm-state=false.`; an unregistered sensor says
 * `aid is not set` and an unknown state `rfm-state is not set`.
 */
export function parseFalconctlGet(text: string): EdrHealth {
  const t = clean(text);
  const problems: string[] = [];
  const aidM = /\baid\s*=\s*"?([0-9a-f]{32})"?/i.exec(t);
  const aidUnset = /\baid\s+is\s+not\s+set/i.test(t);
  const rfm = /rfm-state\s*=\s*(true|false)\b/i.exec(t)?.[1]?.toLowerCase() ?? null;
  if (aidUnset) problems.push('sensor never registered (aid is not set)');
  else if (!aidM) problems.push('agent id (aid) not reported');
  if (rfm === 'true') problems.push('reduced functionality mode');
  else if (rfm === null) problems.push(/rfm-state\s+is\s+not\s+set/i.test(t) ? 'reduced functionality mode state is not set' : 'reduced functionality mode state not reported');
  const bad = aidUnset || rfm === 'true';
  return { healthy: bad ? false : aidM && rfm === 'false' ? true : null, agentId: aidM?.[1] ?? null, problems };
}

/**
 * CrowdStrike macOS `falconctl stats agent_info` / `falconctl stats`: indented
 * `key: value` lines, among them `agentID: 3C1F…`, `Sensor operational: true` and, in
 * the Communications section, `State: connected`.
 */
export function parseFalconStats(text: string): EdrHealth {
  const t = clean(text);
  const problems: string[] = [];
  const id = /^\s*agentID:\s*([0-9A-Fa-f-]{32,36})\s*$/m.exec(t)?.[1] ?? null;
  const operational = /^\s*Sensor operational:\s*(true|false)\s*$/im.exec(t)?.[1]?.toLowerCase() ?? null;
  const state = /^\s*State:\s*(\S+)\s*$/im.exec(t)?.[1]?.toLowerCase() ?? null;
  if (!id) problems.push('agent id not reported');
  if (operational !== 'true') problems.push(operational === 'false' ? 'sensor not operational' : 'sensor operational state not reported');
  if (state !== 'connected') problems.push(state ? `cloud connection ${state}` : 'cloud connection state not reported');
  const bad = operational === 'false' || (state !== null && state !== 'connected');
  return { healthy: bad ? false : id && operational === 'true' && state === 'connected' ? true : null, agentId: id, problems };
}

/**
 * SentinelOne `sentinelctl control status` + `sentinelctl management status` (Linux) or
 * `sentinelctl status` (macOS), concatenated: `Agent state: Enabled` / `Protection:
 * enabled`, `Connectivity: On` / `Connected: yes`, and the agent's UUID/ID line.
 */
export function parseSentinelctl(text: string): EdrHealth {
  const t = clean(text);
  const problems: string[] = [];
  const val = (re: RegExp) => re.exec(t)?.[1]?.trim().toLowerCase() ?? null;
  const state = val(/^\s*(?:Agent state|Protection|Agent Operational State):\s*(.+?)\s*$/im);
  const conn = val(/^\s*(?:Connectivity|Connected|Server Connectivity|Management Connectivity):\s*(.+?)\s*$/im);
  const id = /^\s*(?:Agent UUID|UUID|ID|Agent ID):\s*([0-9A-Za-z-]{16,})\s*$/im.exec(t)?.[1] ?? null;
  const on = (v: string | null) => v !== null && /^(enabled|on|yes|true|connected)$/.test(v);
  const off = (v: string | null) => v !== null && /^(disabled|off|no|false|disconnected|not connected|offline)/.test(v);
  if (!on(state)) problems.push(state ? `protection ${state}` : 'protection state not reported');
  if (!on(conn)) problems.push(conn ? `management connectivity ${conn}` : 'management connectivity not reported');
  if (!id) problems.push('agent id not reported');
  const bad = off(state) || off(conn);
  return { healthy: bad ? false : on(state) && on(conn) && id ? true : null, agentId: id, problems };
}
