/**
 * summary.html: one printable page for the auditor. Self-contained (no scripts, no external
 * requests), every value escaped by the html tag; the chart is inline SVG.
 */
import { checkControls, checkTitle } from '#shared/checks/catalogue.js';
import { COUNTING_METHOD } from '#shared/evidence/manifest.js';
import type { Policy } from '#shared/policy/schema.js';
import { escapeHtml, html, raw, type SafeHtml } from '../dashboard/html.js';
import { summaryFigures, type SummaryCounts } from '#shared/evidence/summary-figures.js';
import type { FleetAggregate } from './aggregate.js';

// Print: one A4 page for a small fleet (about 10 devices) — compact type and tables, the chart
// scaled to a fixed height, rows never split across pages and table headers repeated when a
// larger fleet runs onto a second page.
const CSS = `
body{font:13px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#1f2328;margin:24px;max-width:1000px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:20px 0 6px;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 6px;border-bottom:1px solid #d0d7de}td.n,th.n{text-align:right}
.cards{display:flex;gap:10px;flex-wrap:wrap}.card{border:1px solid #d0d7de;border-radius:6px;padding:6px 12px}.card b{display:block;font-size:20px}
.muted{color:#57606a}svg{max-width:100%}
@page{size:A4;margin:12mm 11mm}
@media print{
body{margin:0;max-width:none;font-size:9pt;line-height:1.3}
h1{font-size:13pt;margin:0 0 2px}h2{font-size:10pt;margin:7px 0 3px;break-after:avoid}p{margin:3px 0}
th,td{padding:1px 4px;vertical-align:top}thead{display:table-header-group}tr{break-inside:avoid}
.cards{gap:6px}.card{padding:2px 8px}.card b{font-size:11pt}
svg{width:100%;height:38mm}a{color:inherit;text-decoration:none}
}
`;


function chart(agg: FleetAggregate, edges: Date[]): SafeHtml {
  const W = 900;
  const Hh = 220;
  const L = 40;
  const B = 24;
  const pts = agg.buckets.map((b, i) => ({ x: i, y: b.measured > 0 ? (100 * b.compliant) / b.measured : null }));
  const n = Math.max(1, pts.length);
  const bw = (W - L - 10) / n;
  const y = (v: number) => 10 + (Hh - B - 10) * (1 - v / 100);
  const bars = pts.map((p) =>
    p.y === null
      ? ''
      : p.y === 0
        ? html`<rect x="${(L + p.x * bw + 1).toFixed(1)}" y="${Hh - B - 2}" width="${Math.max(1, bw - 2).toFixed(1)}" height="2" fill="#cf222e"><title>${edges[p.x].toISOString().slice(0, 16)}: 0%</title></rect>`
        : html`<rect x="${(L + p.x * bw + 1).toFixed(1)}" y="${y(p.y).toFixed(1)}" width="${Math.max(1, bw - 2).toFixed(1)}" height="${(Hh - B - y(p.y)).toFixed(1)}" fill="#2da44e"><title>${edges[p.x].toISOString().slice(0, 16)}: ${p.y.toFixed(1)}%</title></rect>`,
  );
  const grid = [0, 25, 50, 75, 100].map((v) => html`<line x1="${L}" x2="${W - 10}" y1="${y(v)}" y2="${y(v)}" stroke="#d0d7de"/><text x="${L - 4}" y="${y(v) + 4}" font-size="10" text-anchor="end">${v}%</text>`);
  const first = edges[0]?.toISOString().slice(0, 10) ?? '';
  const last = edges[edges.length - 1]?.toISOString().slice(0, 10) ?? '';
  return html`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${Hh}" width="${W}" height="${Hh}" role="img" aria-label="Fleet compliance over the period">
${grid}${bars}<text x="${L}" y="${Hh - 6}" font-size="10">${first}</text><text x="${W - 10}" y="${Hh - 6}" font-size="10" text-anchor="end">${last}</text></svg>`;
}

export interface SummaryInput {
  agg: FleetAggregate;
  edges: Date[];
  policy: Policy;
  from: Date;
  to: Date;
  generatedAt: Date;
  collectorId: string;
  kid: string;
  version: string;
  counts: SummaryCounts;
}

export function renderSummary(s: SummaryInput): string {
  const { agg } = s;
  // Every figure is printed from summaryFigures() inside an element naming it (data-figure), so
  // the verifier recomputes and compares each one (scripts/evidence/summary-check.ts).
  const figs = new Map(summaryFigures(agg, s.counts));
  const fig = (name: string, tag: 'b' | 'td' | 'span' = 'span', cls = '') =>
    raw(`<${tag}${cls ? ` class="${cls}"` : ''} data-figure="${escapeHtml(name)}">${escapeHtml(figs.get(name) ?? '')}</${tag}>`);
  const checkRows = agg.checkIds.map((id) => {
    const c = checkControls(s.policy, id);
    return html`<tr><td>${checkTitle(id, s.policy)}</td><td>${c.soc2.join(', ')}</td><td>${c.iso27001.join(', ')}</td><td>${c.cis.join(', ')}</td>${fig(`check:${id}:pass_pct`, 'td', 'n')}
${fig(`check:${id}:devices_noncompliant`, 'td', 'n')}${fig(`check:${id}:mean_time_to_fix`, 'td', 'n')}${fig(`check:${id}:excluded_time`, 'td', 'n')}</tr>`;
  });
  const nc = agg.noncompliant.map(
    (d) => html`<tr><td>${d.hostname}</td><td>${d.owner ?? ''}</td><td>${d.checks.map((c) => checkTitle(c, s.policy)).join(', ')}</td>${fig(`noncompliant:${d.deviceId}:time`, 'td', 'n')}${fig(`noncompliant:${d.deviceId}:longest`, 'td', 'n')}</tr>`,
  );
  const states = Object.keys(agg.byCurrentState).sort();
  const unlisted = agg.noncompliantTotal - agg.noncompliant.length;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Posture evidence ${s.from.toISOString().slice(0, 10)} – ${s.to.toISOString().slice(0, 10)}</title><style>${raw(CSS)}</style></head><body>
<h1>Endpoint posture evidence</h1>
<p class="muted">Period ${s.from.toISOString()} to ${s.to.toISOString()} (end exclusive) · generated ${s.generatedAt.toISOString()} by Posture ${s.version} · collector ${s.collectorId} · signing key ${s.kid}</p>
<h2>Fleet</h2>
<div class="cards"><div class="card">${fig('devices', 'b')}devices in the period</div><div class="card">${fig('compliant_pct', 'b')}of device-time fully compliant</div>
<div class="card">${fig('enrolled_in_period', 'b')}enrolled during the period</div><div class="card">${fig('revoked_in_period', 'b')}revoked during the period</div>
<div class="card">${fig('noncompliant_devices', 'b')}devices noncompliant at some point</div></div>
<p>State at the end of the period: ${states.map((k) => html`${k} ${fig(`state_at_end:${k}`)} · `)} events ${fig('events')} · signed reports ${fig('reports')} · exclusions ${fig('exclusions')}</p>
<h2>Compliance over the period</h2>${chart(agg, s.edges)}
<p class="muted">Share of measured device-time (excluded time left out) in which every required check passed; a red line marks 0%, no bar means no device was measured.</p>
<h2>Compliance per check (controls: SOC 2, ISO/IEC 27001:2022 Annex A, CIS Controls v8)</h2>
<table><thead><tr><th>Check</th><th>SOC 2</th><th>ISO 27001</th><th>CIS v8</th><th class="n">Time compliant</th><th class="n">Devices noncompliant</th><th class="n">Mean time to fix</th><th class="n">Excluded device-time</th></tr></thead><tbody>${checkRows}</tbody></table>
<h2>Noncompliant devices and time to fix</h2>
${nc.length ? html`<table><thead><tr><th>Device</th><th>Owner</th><th>Checks</th><th class="n">Time noncompliant</th><th class="n">Longest time to fix</th></tr></thead><tbody>${nc}</tbody></table>` : html`<p>None in this period.</p>`}
${unlisted > 0 ? html`<p class="muted">${fig('noncompliant_unlisted')} more devices: see events.csv and devices.csv.</p>` : html`<span hidden>${fig('noncompliant_unlisted')}</span>`}
<h2>How time is counted</h2><p>${COUNTING_METHOD}</p>
<p class="muted">Verify this bundle offline with the single-file verifier: <code>posture-verify &lt;bundle&gt; --jwks jwks.json</code> (docs/verify-evidence.md; from the source tree: <code>npm run verify-evidence -- &lt;bundle&gt;</code>). Compare the key id above with the collector's /.well-known/jwks.json.</p>
</body></html>`.value;
}
