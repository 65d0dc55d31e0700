/**
 * Linux firewall parsers. The question is never "is a firewall package installed" but
 * "is unsolicited inbound traffic dropped": an input-hook filter chain with policy drop,
 * or an unconditional drop/reject rule in it (firewalld ends its input chain with
 * `reject with icmpx admin-prohibited` under policy accept) not preceded by an
 * unconditional accept (firewalld's zone with target ACCEPT ends its zone chain with one).
 * Both address families count: a filter for IPv4 only leaves IPv6 open.
 */

export interface InputChain {
  family: string;
  table: string;
  name: string;
  policy: string | null;
  /**
   * What unsolicited traffic meets when it walks the chain's unconditional rules (following
   * unconditional jumps/gotos): 'drop' | 'reject' | 'accept' (an earlier catch-all accept,
   * e.g. a firewalld zone with target ACCEPT), or null when it falls through to the policy.
   */
  catchAll: string | null;
  rules: number;
  /** Does this chain stop unsolicited inbound traffic? */
  filters: boolean;
}

export interface NftRuleset {
  tables: string[];
  inputChains: InputChain[];
  /** Inbound filtered for IPv4 and for IPv6 ('inet' chains cover both). */
  filteredV4: boolean;
  filteredV6: boolean;
  /** Both families filtered. */
  filtered: boolean;
}

type NftItem = Record<string, Record<string, unknown>>;
type Expr = Record<string, unknown>;
const NEUTRAL = new Set(['counter', 'log', 'comment', 'notrack']);

/** The verdict of an unconditional rule, or null when any match/limit makes it conditional. */
function unconditionalVerdict(expr: unknown): { verdict: string; target?: string } | null {
  if (!Array.isArray(expr)) return null;
  let out: { verdict: string; target?: string } | null = null;
  for (const e of expr as Expr[]) {
    const key = Object.keys(e)[0];
    if (['accept', 'drop', 'reject', 'return'].includes(key)) out = { verdict: key };
    else if (key === 'jump' || key === 'goto') out = { verdict: key, target: String((e[key] as { target?: unknown })?.target ?? '') };
    else if (key === 'xt' && (e.xt as { type?: string })?.type === 'target') {
      // iptables-nft compat target nft cannot translate (older versions: REJECT).
      const name = String((e.xt as { name?: unknown }).name ?? '').toUpperCase();
      if (name === 'REJECT' || name === 'DROP') out = { verdict: name.toLowerCase() };
      else return null;
    } else if (!NEUTRAL.has(key)) return null;
  }
  return out;
}

/**
 * Walk a chain's unconditional rules in order. Returns 'accept' | 'drop' | 'reject' when a
 * catch-all decides, 'return' when the walk ends (fall through), 'goto-return' when a goto
 * target fell through (the calling chain ends too). Conditional rules are skipped: they
 * only concern some traffic. Depth-limited against loops.
 */
function walk(rules: Map<string, unknown[]>, key: string, prefix: string, depth = 0): string {
  if (depth > 16) return 'return';
  for (const expr of rules.get(key) ?? []) {
    const v = unconditionalVerdict(expr);
    if (!v) continue;
    if (v.verdict === 'return') return 'return';
    if (v.verdict === 'jump' || v.verdict === 'goto') {
      const r = walk(rules, `${prefix}/${v.target}`, prefix, depth + 1);
      if (r === 'accept' || r === 'drop' || r === 'reject') return r;
      if (v.verdict === 'goto') return 'return'; // the goto target ended: so does this chain
      continue;
    }
    return v.verdict;
  }
  return 'return';
}

/** `nft -j list ruleset` → input-hook filter chains and whether inbound is filtered per family. */
export function parseNftRuleset(json: string): NftRuleset | null {
  let doc: { nftables?: NftItem[] };
  try {
    doc = JSON.parse(json);
  } catch {
    return null;
  }
  if (!doc || !Array.isArray(doc.nftables)) return null;
  const tables: string[] = [];
  const base: { key: string; c: Record<string, unknown> }[] = [];
  const rules = new Map<string, unknown[]>();
  const count = new Map<string, number>();
  for (const item of doc.nftables) {
    if (item.table) tables.push(`${item.table.family} ${item.table.name}`);
    const c = item.chain;
    if (c && c.hook === 'input' && (c.type ?? 'filter') === 'filter') base.push({ key: `${c.family}/${c.table}/${c.name}`, c });
    const r = item.rule;
    if (r) {
      const key = `${r.family}/${r.table}/${r.chain}`;
      if (!rules.has(key)) rules.set(key, []);
      rules.get(key)!.push(r.expr);
      count.set(key, (count.get(key) ?? 0) + 1);
    }
  }
  const inputChains: InputChain[] = base.map(({ key, c }) => {
    const policy = typeof c.policy === 'string' ? c.policy : 'accept';
    const end = walk(rules, key, `${c.family}/${c.table}`);
    const catchAll = end === 'return' ? null : end;
    return {
      family: String(c.family),
      table: String(c.table),
      name: String(c.name),
      policy,
      catchAll,
      rules: count.get(key) ?? 0,
      filters: catchAll === 'drop' || catchAll === 'reject' || (catchAll === null && policy === 'drop'),
    };
  });
  // A packet must get through every base chain on its hook: one that drops is enough.
  const filteredV4 = inputChains.some((c) => c.filters && (c.family === 'inet' || c.family === 'ip'));
  const filteredV6 = inputChains.some((c) => c.filters && (c.family === 'inet' || c.family === 'ip6'));
  return { tables, inputChains, filteredV4, filteredV6, filtered: filteredV4 && filteredV6 };
}

export interface IptablesInput {
  policy: string | null;
  /**
   * What unsolicited traffic meets walking INPUT's unconditional rules, following
   * unconditional jumps (-j chain) and gotos (-g chain) into user chains: 'drop' | 'reject' |
   * 'accept', 'other' (a terminal target we cannot judge, e.g. NFQUEUE), or null = the policy.
   */
  catchAll: string | null;
  /** Rules in INPUT itself. */
  rules: number;
  /** User chains the walk passed through (fail2ban, NixOS, Proxmox put the final DROP there). */
  via?: string[];
  filtered: boolean;
  /** iptables-nft saw x_tables (legacy) rules it does not show. */
  legacyWarning?: boolean;
}

/** Targets that do not end a packet's walk through a chain. */
const IPT_NEUTRAL = new Set(['LOG', 'NFLOG', 'ULOG', 'MARK', 'CONNMARK', 'TRACE', 'AUDIT', 'CT', 'NOTRACK', 'CLASSIFY', 'SET', 'TCPMSS', 'DSCP', 'TOS', 'TTL', 'HL', 'SECMARK', 'CONNSECMARK']);
const IPT_BUILTIN = new Set(['ACCEPT', 'DROP', 'REJECT', 'RETURN']);

/** The `-j X` / `-g X` of a rule whose only other parts are comments and counters, else null. */
function iptUnconditional(rule: string): { kind: 'j' | 'g'; target: string } | null {
  const bare = ` ${rule}`
    .replace(/\s+-m comment --comment ("(?:[^"\\]|\\.)*"|\S+)/g, '')
    .replace(/\s+-c \d+ \d+/g, '')
    .replace(/\s+--reject-with \S+/g, '')
    .replace(/\s+--log-(prefix|level) ("(?:[^"\\]|\\.)*"|\S+)/g, '')
    .trim();
  // -S/-save print matches before the target: a rule that starts with -j/-g has none, and
  // whatever follows the target name is the target's own options (--queue-num, --log-prefix).
  const m = /^-([jg])\s+(\S+)(?:\s+--.*)?$/.exec(bare);
  return m ? { kind: m[1] as 'j' | 'g', target: m[2] } : null;
}

/** Walk a chain: 'accept' | 'drop' | 'reject' | 'other' when something decides, 'return' otherwise. */
function iptWalk(chains: Map<string, string[]>, name: string, via: string[], depth = 0, declared = true): string {
  if (depth > 16) return 'return';
  for (const rule of chains.get(name) ?? []) {
    const u = iptUnconditional(rule);
    if (!u) continue; // conditional: concerns some traffic only
    const t = u.target;
    if (t === 'RETURN') return 'return';
    if (IPT_BUILTIN.has(t)) return t.toLowerCase();
    if (chains.has(t)) {
      via.push(t);
      const r = iptWalk(chains, t, via, depth + 1, declared);
      if (r !== 'return') return r;
      if (u.kind === 'g') return 'return'; // a goto target that ends returns past this chain
      continue;
    }
    if (IPT_NEUTRAL.has(t.toUpperCase())) continue;
    // `-S INPUT` alone does not list user chains: a jump into one we cannot see decides nothing.
    if (!declared && /^[\w.-]+$/.test(t) && t !== t.toUpperCase()) continue;
    return 'other';
  }
  return 'return';
}

/**
 * `iptables -S` / `ip6tables -S` (the whole filter table: `-P INPUT DROP`, `-N fw-in`,
 * `-A INPUT -j fw-in`) or `iptables-save` (`:INPUT DROP [0:0]`, `:fw-in - [0:0]`, only
 * `*filter` is read; `[pkts:bytes]` counter prefixes allowed). INPUT's unconditional rules
 * are walked through user chains; an ACCEPT before any DROP/REJECT lets everything in.
 * The iptables-nft warning about legacy tables is reported, not ignored.
 */
export function parseIptablesS(text: string): IptablesInput | null {
  let policy: string | null = null;
  let table = 'filter';
  const chains = new Map<string, string[]>();
  const legacyWarning = /iptables-legacy tables present/i.test(text);
  // iptables-save ends every table with COMMIT: a *filter without one was cut off.
  let filterOpen = false;
  for (const raw of text.replace(/\0/g, '').split(/\r?\n/)) {
    const line = raw.trim().replace(/^\[\d+:\d+\]\s+/, '');
    const t = /^\*(\w+)/.exec(line);
    if (t) {
      table = t[1];
      if (table === 'filter') filterOpen = true;
    }
    if (table !== 'filter') continue;
    if (line === 'COMMIT') filterOpen = false;
    const p = /^-P INPUT (\w+)/.exec(line) ?? /^:INPUT (\w+)/.exec(line);
    if (p) policy = p[1].toLowerCase();
    const n = /^-N (\S+)$/.exec(line) ?? /^:(\S+) - /.exec(line);
    if (n && !chains.has(n[1])) chains.set(n[1], []);
    const a = /^-A (\S+) (.*)$/.exec(line);
    if (a) {
      if (!chains.has(a[1])) chains.set(a[1], []);
      chains.get(a[1])!.push(a[2]);
    }
  }
  if (policy === null || filterOpen) return null;
  const via: string[] = [];
  const declared = [...chains.keys()].some((c) => !['INPUT', 'FORWARD', 'OUTPUT'].includes(c));
  const end = iptWalk(chains, 'INPUT', via, 0, declared);
  const catchAll = end === 'return' ? null : end;
  const filtered = catchAll === 'drop' || catchAll === 'reject' || (catchAll === null && policy === 'drop');
  return { policy, catchAll, rules: chains.get('INPUT')?.length ?? 0, ...(via.length ? { via: [...new Set(via)].slice(0, 8) } : {}), filtered, ...(legacyWarning ? { legacyWarning } : {}) };
}

/** Local container/VM bridges and their veth ends: IPv6 there is reachable from guests only. */
const LOCAL_VIRTUAL = /^(lo|docker\d+|br-[0-9a-f]{6,}|veth[0-9a-f]|virbr\d|vnet\d|cni\d|cni-|flannel\.|cali[0-9a-f]|podman\d|lxcbr\d|lxdbr\d)/;

/** /proc/net/if_inet6 → interfaces that carry an IPv6 address and face a network (not lo or container bridges). */
export function ipv6Interfaces(procIfInet6: string): string[] {
  const names = procIfInet6
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => f.length >= 6 && /^[0-9a-f]{32}$/i.test(f[0]) && !LOCAL_VIRTUAL.test(f[5]))
    .map((f) => f[5]);
  return [...new Set(names)];
}

/**
 * Interfaces on which IPv6 is really up: the kernel lists live addresses in
 * /proc/net/if_inet6 and drops them where IPv6 is disabled, so a per-interface
 * `disable_ipv6=0` (NetworkManager, systemd-networkd) wins over `all.disable_ipv6=1`.
 * `perInterface` maps a name to its own disable_ipv6 value when it was read.
 */
export function liveIpv6Interfaces(procIfInet6: string, perInterface: Record<string, string | null>): string[] {
  return ipv6Interfaces(procIfInet6).filter((i) => (perInterface[i] ?? '').trim() !== '1');
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

/** firewalld zone XML → its target ('ACCEPT' | 'DROP' | '%%REJECT%%' | null = default). */
export function parseZoneTarget(xml: string): string | null {
  return /<zone\b[^>]*\btarget="([^"]+)"/.exec(xml)?.[1] ?? null;
}
