/**
 * Linux: ClamAV (clamd running, clamonacc for on-access scanning, signature age from the
 * daily database header) and known EDR agents by process and install path; Defender's
 * own health report when `mdatp` is present. Process listing reads /proc: no root needed.
 */
import type { AvProduct } from '../../../../shared/src/checks/facts.js';
import { listProcesses, type ProcessInfo } from '../../exec/processes.js';
import type { Collector, ProbeContext } from '../types.js';
import { daysSince } from '../types.js';
import { KNOWN_AGENTS, isRunning } from './edr.js';
import { clamdConfigFromCmdline, clamdDatabaseDir, parseClamscanVersion, parseCvdHeader } from './parse-clamav.js';
import { CONFIRM_BY, applyEdr, applyMdatp, falconHealth, mdatpHealth, sentinelHealth } from './health.js';

async function clamav(ctx: ProbeContext, procs: ProcessInfo[], detail: Record<string, unknown>): Promise<AvProduct | null> {
  const clamd = procs.find((p) => p.name === 'clamd');
  const installed = clamd || (await ctx.fs.stat('/usr/sbin/clamd')).ok || (await ctx.fs.stat('/etc/clamav/clamd.conf')).ok;
  if (!installed) return null;
  const confPath = (clamd && clamdConfigFromCmdline(clamd.cmdline)) || '/etc/clamav/clamd.conf';
  const conf = await ctx.fs.read(confPath, 65536);
  const dbDir = clamdDatabaseDir(conf.ok ? conf.value : '');
  let builtAt: Date | null = null;
  for (const file of ['daily.cld', 'daily.cvd']) {
    const head = await ctx.fs.read(`${dbDir}/${file}`, 512);
    const h = head.ok ? parseCvdHeader(head.value) : null;
    if (h) {
      builtAt = h.builtAt;
      detail.clamavDaily = { file: `${dbDir}/${file}`, version: h.version, signatures: h.signatures, builtAt: h.builtAt?.toISOString() ?? null };
      break;
    }
  }
  if (!builtAt) {
    const v = await ctx.run('clamscan', ['--version']);
    const parsed = v.ok ? parseClamscanVersion(v.stdout) : null;
    if (parsed?.dbDate) builtAt = parsed.dbDate;
    detail.clamscanVersion = parsed ? { engine: parsed.engine, dbVersion: parsed.dbVersion } : v.error;
  }
  detail.clamav = { clamdPid: clamd?.pid ?? null, config: confPath, databaseDirectory: dbDir };
  return {
    name: 'ClamAV',
    kind: 'antivirus',
    running: !!clamd,
    // clamd scans on demand; only clamonacc gives on-access (real-time) scanning.
    realTimeProtection: procs.some((p) => p.name === 'clamonacc') ? true : null,
    definitionsUpToDate: null,
    definitionsAgeDays: builtAt ? daysSince(builtAt.getTime(), ctx.now) : null,
  };
}

export const collectLinux: Collector<'antivirus'> = async (ctx) => {
  const procs = await listProcesses(ctx);
  if (!procs) return { facts: { products: [] }, reason: 'process list (/proc) is not readable' };
  const detail: Record<string, unknown> = {};
  const products: AvProduct[] = [];
  let needsElevation = false;
  const clam = await clamav(ctx, procs, detail);
  if (clam) products.push(clam);
  for (const agent of KNOWN_AGENTS) {
    const running = isRunning(procs, agent.processes.linux);
    const installed = running || (await Promise.all(agent.paths.linux.map((p) => ctx.fs.stat(p)))).some((s) => s.ok);
    if (!installed) continue;
    const product: AvProduct = { name: agent.name, kind: agent.kind, running, realTimeProtection: null, definitionsUpToDate: null, definitionsAgeDays: null };
    product.healthCommand = CONFIRM_BY[agent.name]?.linux ?? null;
    if (agent.kind === 'edr') product.healthConfirmed = null;
    if (agent.name.startsWith('Microsoft Defender')) {
      const { health, error } = await mdatpHealth(ctx);
      if (health) applyMdatp(product, health);
      detail.mdatp = health ?? error;
    }
    const probe = agent.name.startsWith('CrowdStrike') && running ? await falconHealth(ctx) : agent.name === 'SentinelOne' && running ? await sentinelHealth(ctx) : null;
    if (probe) {
      applyEdr(product, probe);
      detail[agent.name === 'SentinelOne' ? 'sentinelctl' : 'falconctl'] = probe.health ?? probe.error;
      if (!probe.health && probe.error === 'permission_denied') needsElevation = true;
    }
    products.push(product);
  }
  // For fix steps that fit the machine (the ClamAV install command of its package manager).
  for (const [pm, path] of [['apt', '/usr/bin/apt-get'], ['dnf', '/usr/bin/dnf'], ['zypper', '/usr/bin/zypper'], ['pacman', '/usr/bin/pacman']] as const) {
    if (!products.some((p) => p.kind === 'edr')) {
      if ((await ctx.fs.stat(path)).ok) {
        detail.packageManager = pm;
        break;
      }
    }
  }
  return { facts: { products }, detail, needsElevation: needsElevation && !ctx.elevated ? true : undefined };
};
