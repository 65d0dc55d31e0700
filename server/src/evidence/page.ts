/** The /evidence page: pick a period, download the signed bundle, and how to verify it. */
import type { Principal } from '../auth/roles.js';
import { html } from '../dashboard/html.js';
import { layout } from '../dashboard/layout.js';

export function evidencePage(principal: Principal | null, kid: string, roles: readonly string[], now = new Date()): string {
  const to = now.toISOString().slice(0, 10);
  const from = new Date(now.getTime() - 90 * 86_400_000).toISOString().slice(0, 10);
  const body = html`<h1>Audit evidence</h1>
<p>Download a signed bundle for an audit period: device inventory with time in compliance per check, every state change,
exclusions, the device-signed reports verbatim, the policy versions in force, a printable summary and a control mapping.</p>
<form class="filters" method="get" action="/api/v1/evidence" id="evidence-form">
<label>From <input type="date" name="from" value="${from}" required></label>
<label>To (exclusive) <input type="date" name="to" value="${to}" required></label>
<button type="submit">Download bundle (.tar.gz)</button></form>
<p class="muted">Dates are UTC midnights. Large fleets take a while: the download starts once the bundle is built. Allowed roles: ${roles.join(', ')}.</p>
<h2>Verify a bundle</h2>
<p>Offline, without the server: <code>npm run verify-evidence -- posture-evidence-….tar.gz</code>. It checks the manifest signature,
every file's SHA-256 and every report's device signature, and prints the collector key id.</p>
<p>This collector signs with key id <code>${kid}</code> (published at <a href="/.well-known/jwks.json">/.well-known/jwks.json</a>);
pin it with <code>--jwks https://&lt;collector&gt;/.well-known/jwks.json</code>.</p>
<p>From a script: <code>npm run evidence -- --server URL --token TOKEN --from 2026-01-01 --to 2026-04-01 --out ./evidence</code></p>`;
  return layout({ title: 'Evidence', principal, body });
}
