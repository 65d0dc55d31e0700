/**
 * Linux firewall parsers. The question is never "is a firewall package installed" but
 * "is unsolicited inbound traffic dropped": an input-hook filter chain with policy drop,
 * or an unconditional drop/reject rule in it (firewalld ends its input chain with
 * `reject with icmpx admin-prohibited` under policy accept).
 */

export interface InputChain {
  family: string;
  table: string;
  name: string;
  policy: string | null;
  /** 'drop' | 'reject' when the chain ends traffic unconditionally via a rule. */
  catchAll: string | null;
  rules: number;
}

export interface NftRuleset {
  tables: string[];
  inputChains: InputChain[];
  filtered: boolean;
}

type NftItem = Record<string, Record<string, unknown>>;
const NEUTRAL = new Set(['counter', 'log', 'comment']);

function catchAllVerdict(expr: unknown): string | null {
  if (!Array.isArray(expr)) return null;
  let verdict: string | null = null;
  for (const e of expr as Record<string, unknown>[]) {
    const key = Object.keys(e)[0];
    if (key === 'drop' || key === 'reject') verdict = key;
    else if (!NEUTRAL.has(key)) return null; // any match/limit/jump makes it conditional
  }
  return verdict;
}

/** `nft -j list ruleset` → input chains and whether inbound is filtered. */
export function parseNftRuleset(json: string): NftRuleset | null {
  let doc: { nftables?: NftItem[] };
  try {
    doc = JSON.parse(json);
  } catch {
    return null;
  }
  if (!doc || !Array.isArray(doc.nftables)) return null;
  const tables: string[] = [];
  const chains = new Map<string, InputChain>();
  for (const item of doc.nftables) {
    if (item.table) tables.push(`${item.table.family} ${item.table.name}`);
    const c = item.chain;
    if (c && c.hook === 'input' && (c.type ?? 'filter') === 'filter') {
      const key = `${c.family}/${c.table}/${c.name}`;
      chains.set(key, {
        family: String(c.family),
        table: String(c.table),
        name: String(c.name),
        policy: typeof c.policy === 'string' ? c.policy : 'accept',
        catchAll: null,
        rules: 0,
      });
    }
    const r = item.rule;
    if (r) {
      const chain = chains.get(`${r.family}/${r.table}/${r.chain}`);
      if (chain) {
        chain.rules++;
        chain.catchAll ??= catchAllVerdict(r.expr);
      }
    }
  }
  const inputChains = [...chains.values()];
  const filtered = inputChains.some(
    (c) => ['inet', 'ip', 'ip6'].includes(c.family) && (c.policy === 'drop' || c.catchAll !== null),
  );
  return { tables, inputChains, filtered };
}

/** `iptables -S INPUT` → policy and a trailing unconditional DROP/REJECT. */
export function parseIptablesS(text: string): { policy: string | null; catchAll: string | null; rules: number; filtered: boolean } | null {
  let policy: string | null = null;
  let catchAll: string | null = null;
  let rules = 0;
  for (const line of text.split('\n').map((l) => l.trim())) {
    const p = /^-P INPUT (\w+)/.exec(line);
    if (p) policy = p[1].toLowerCase();
    if (line.startsWith('-A INPUT')) {
      rules++;
      const m = /^-A INPUT -j (DROP|REJECT)\b/.exec(line);
      if (m) catchAll ??= m[1].toLowerCase();
    }
  }
  if (policy === null) return null;
  return { policy, catchAll, rules, filtered: policy === 'drop' || catchAll !== null };
}

export interface UfwStatus {
  active: boolean;
  defaultIncoming: string | null;
  rules: number;
}

/** `ufw status verbose` → active and default incoming policy ('deny' | 'reject' | 'allow'). */
export function parseUfwStatus(text: string): UfwStatus | null {
  const st = /^Status:\s*(active|inactive)/m.exec(text);
  if (!st) return null;
  const def = /^Default:\s*(\w+)\s*\(incoming\)/m.exec(text);
  const sep = text.indexOf('\n--');
  const rules = sep < 0 ? 0 : text.slice(sep + 1).split('\n').slice(1).filter((l) => l.trim()).length;
  return { active: st[1] === 'active', defaultIncoming: def ? def[1] : null, rules };
}

/** /etc/ufw/ufw.conf + /etc/default/ufw → configured state (readable without root). */
export function parseUfwConfig(ufwConf: string, defaults: string): { enabled: boolean; defaultInput: string | null } {
  const val = (text: string, key: string) => new RegExp(`^\\s*${key}\\s*=\\s*"?([^"\\s]*)"?`, 'm').exec(text)?.[1] ?? null;
  return { enabled: val(ufwConf, 'ENABLED')?.toLowerCase() === 'yes', defaultInput: val(defaults, 'DEFAULT_INPUT_POLICY')?.toLowerCase() ?? null };
}
