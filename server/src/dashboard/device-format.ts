/** How device facts read on the help desk's pages: check titles, platform names, deadlines. */
import { checkTitle } from '#shared/checks/catalogue.js';
import { platformName } from '#shared/checks/ids.js';
import type { Policy } from '#shared/policy/schema.js';
import { html, timeAgo, type SafeHtml } from './html.js';

/** The failing checks by title ("Firewall, Disk encryption"), not by id. */
export function failingTitles(ids: readonly string[], policy?: Policy): string {
  return ids.map((id) => checkTitle(id, policy)).join(', ');
}

/**
 * The deadline cell. A noncompliant device is past a deadline already: it reads "overdue since
 * …" (its stored next deadline is another check's, still in the future, and would read as if
 * there were time left). A failing device shows its nearest deadline.
 */
export function deadlineText(d: { state: string; state_since?: Date | string | null; next_deadline: Date | string | null }): SafeHtml | string {
  if (d.state === 'noncompliant') return html`<span class="err">overdue</span>${d.state_since ? html` since ${timeAgo(d.state_since)}` : ''}`;
  return d.next_deadline ? timeAgo(d.next_deadline) : '';
}

/** "macOS 14.5", "Windows 11 Pro 10.0.22631", "Linux Debian 12". */
export function osText(d: { platform: string; os_name?: string | null; os_version?: string | null }): string {
  return [platformName(d.platform), d.os_name ?? '', d.os_version ?? ''].filter(Boolean).join(' ');
}
