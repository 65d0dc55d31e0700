/**
 * Server-rendered HTML with escaping by construction: every interpolated value is escaped
 * unless it is itself a SafeHtml produced by this tag. Agents control hostnames, users and
 * evidence text, so nothing from them may reach the page unescaped.
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ESC: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' };
export const escapeHtml = (s: string): string => s.replace(/[&<>"'`]/g, (c) => ESC[c]);

function render(v: unknown): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof SafeHtml) return v.value;
  if (Array.isArray(v)) return v.map(render).join('');
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new SafeHtml(out);
}

/** Only for constant strings we wrote ourselves (CSS, inline script). */
export const raw = (s: string): SafeHtml => new SafeHtml(s);

/** Build a query string for links, preserving filters. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

function span(s: number): string {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  // Under a week the hours matter: a deadline 2 d 23 h away is not "in 2d" (the agent says "in 3 days").
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600);
  return d < 7 && h ? `${d}d ${h}h` : `${d}d`;
}

/** "5m ago" / "in 3h" / "never". */
export function timeAgo(d: Date | string | null | undefined, now = Date.now()): string {
  if (!d) return 'never';
  const s = Math.round((now - new Date(d).getTime()) / 1000);
  return s >= 0 ? `${span(s)} ago` : `in ${span(-s)}`;
}
