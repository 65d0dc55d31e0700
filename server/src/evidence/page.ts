/** The /evidence page: pick a period, download the signed bundle, and how to verify it. */
import type { Principal } from '../auth/roles.js';
import { html } from '../dashboard/html.js';
import { layout } from '../dashboard/layout.js';

export function evidencePage(principal: Principal | null, kid: string, roles: readonly string[], now = new Date()): string {
  // Default: the last 90 days up to now. "To" is the next whole minute, so that a report sent
  // a moment ago is inside the period (a default ending at today's 00:00 UTC exported nothing
  // for a fleet enrolled today).
  const end = new Date(Math.ceil(now.getTime() / 60_000) * 60_000);
  const minute = (d: Date) => d.toISOString().slice(0, 16);
  const to = minute(end);
  const from = minute(new Date(end.getTime() - 90 * 86_400_000));
  const body = html`<h1>Audit evidence</h1>
<p>Download a signed bundle for an audit period: device inventory with time in compliance per check, every state change,
exclusions, the device-signed reports verbatim, the policy versions in force, a printable summary and a control mapping.</p>
<form class="filters" method="get" action="/api/v1/evidence" id="evidence-form" data-evidence-period>
<label>From <input type="datetime-local" name="from" value="${from}" step="60" required></label>
<label>To (exclusive) <input type="datetime-local" name="to" value="${to}" step="60" required></label>
<button type="submit">Download bundle (.tar.gz)</button></form>
<p class="muted" id="evidence-zone">Times are UTC. The default is the last 90 days up to now.</p>
<p class="muted">Large fleets take a while: the download starts once the bundle is built. Allowed roles: ${roles.join(', ')}.</p>
<p id="evidence-warning" class="warn" role="alert" hidden></p>
<h2>Verify a bundle</h2>
<p>Offline, without the server: <code>npm run verify-evidence -- posture-evidence-….tar.gz</code>. It checks the manifest signature,
every file's SHA-256 and every report's device signature, and prints the collector key id.</p>
<p>This collector signs with key id <code>${kid}</code> (published at <a href="/.well-known/jwks.json">/.well-known/jwks.json</a>);
pin it with <code>--jwks https://&lt;collector&gt;/.well-known/jwks.json</code>.</p>
<p>From a script: <code>npm run evidence -- --server URL --token TOKEN --from 2026-01-01 --to 2026-04-01 --out ./evidence</code></p>`;
  return layout({ title: 'Evidence', principal, body });
}
