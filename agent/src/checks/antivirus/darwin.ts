/**
 * macOS: XProtect (Apple's signature-based scanner; its definitions update through
 * "Install Security Responses and system files") counts as antivirus with its definition
 * age taken from the bundle. Gatekeeper is reported but is not antivirus: it checks code
 * signatures and notarization, not malware. Known EDRs are found by process.
 */
import type { AvProduct } from '../../../../shared/src/checks/facts.js';
import { listProcesses } from '../../exec/processes.js';
import type { Collector } from '../types.js';
import { daysSince } from '../types.js';
import { KNOWN_AGENTS, isRunning } from './edr.js';
import { CONFIRM_BY, applyEdr, applyMdatp, falconHealth, mdatpHealth, sentinelHealth } from './health.js';
import { parseSpctlStatus, parseXprotectVersion } from './parse-darwin.js';

const XPROTECT = '/Library/Apple/System/Library/CoreServices/XProtect.bundle';

export const collectDarwin: Collector<'antivirus'> = async (ctx) => {
  const [procs, spctl, info, stamp] = await Promise.all([
    listProcesses(ctx),
    ctx.run('spctl', ['--status']),
    ctx.run('plutil', ['-convert', 'xml1', '-o', '-', `${XPROTECT}/Contents/Info.plist`]),
    ctx.fs.stat(`${XPROTECT}/Contents/Resources/XProtect.meta.plist`),
  ]);
  const products: AvProduct[] = [];
  const version = info.ok ? parseXprotectVersion(info.stdout) : null;
  if (version || stamp.ok) {
    products.push({
      name: 'XProtect',
      kind: 'antivirus',
      running: true, // part of the OS; invoked on file launch and by XProtectRemediator
      realTimeProtection: null,
      definitionsUpToDate: null,
      definitionsAgeDays: stamp.ok ? daysSince(stamp.value.mtimeMs, ctx.now) : null,
    });
  }
  const detail: Record<string, unknown> = { xprotectVersion: version, gatekeeper: spctl.ok || spctl.code === 1 ? parseSpctlStatus(spctl.stdout + spctl.stderr) : null };
  for (const agent of KNOWN_AGENTS) {
    const running = procs ? isRunning(procs, agent.processes.darwin) : null;
    const installed = running || (await Promise.all(agent.paths.darwin.map((p) => ctx.fs.stat(p)))).some((s) => s.ok);
    if (!installed) continue;
    const p: AvProduct = { name: agent.name, kind: agent.kind, running, realTimeProtection: null, definitionsUpToDate: null, definitionsAgeDays: null };
    p.healthCommand = CONFIRM_BY[agent.name]?.darwin ?? null;
    if (agent.kind === 'edr') p.healthConfirmed = null;
    if (agent.name.startsWith('Microsoft Defender')) {
      const { health, error } = await mdatpHealth(ctx);
      if (health) applyMdatp(p, health);
      detail.mdatp = health ?? error;
    }
    const probe = agent.name.startsWith('CrowdStrike') && running ? await falconHealth(ctx) : agent.name === 'SentinelOne' && running ? await sentinelHealth(ctx) : null;
    if (probe) {
      applyEdr(p, probe);
      detail[agent.name === 'SentinelOne' ? 'sentinelctl' : 'falconctl'] = probe.health ?? probe.error;
    }
    products.push(p);
  }
  // EDRs first: a running EDR is the stronger control and the one the summary should name.
  products.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'edr' ? -1 : 1));
  return { facts: { products }, detail, reason: products.length === 0 && !procs ? 'process list unavailable and XProtect not found' : undefined };
};
