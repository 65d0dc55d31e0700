/**
 * Native notification command lines, as argv arrays (never a shell string), one builder per
 * platform. Pure, so each exact command line is tested. The text is ours but embeds check
 * summaries that come from probe output; every builder neutralises it for its target:
 * Pango markup on Linux, AppleScript literals on macOS (avoided: text travels as argv),
 * PowerShell literals and toast XML on Windows (quotes doubled; text nodes, not markup).
 */
import type { CommandName } from '../exec/allowlist.js';

export interface Notice {
  title: string;
  body: string;
  /** The My-device link; Windows toasts open it on click, elsewhere it is in the body. */
  url?: string | null;
  urgency: 'normal' | 'critical';
}

export interface NotifyCommand {
  name: CommandName;
  args: string[];
  env?: Record<string, string>;
}

export interface DesktopUser {
  user: string;
  uid: number;
  /** D-Bus session bus address; defaults to the systemd per-user bus. */
  busAddress?: string;
}

const MAX_TITLE = 120;
const MAX_BODY = 600;

/** No control characters (a newline is kept in bodies), bounded length, no leading dash (argv option). */
export function cleanText(s: string, max: number, keepNewlines = false): string {
  const t = s.replace(keepNewlines ? /[\u0000-\u0009\u000b-\u001f\u007f]/g : /[\u0000-\u001f\u007f]/g, ' ').trim();
  const cut = t.length > max ? `${t.slice(0, max - 1)}…` : t;
  return cut.replace(/^-+/, (m) => '–'.repeat(m.length));
}

/** notify-send bodies are Pango markup on most servers: escape it. */
export const escapePango = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export const defaultBus = (uid: number): string => `unix:path=/run/user/${uid}/bus`;

/**
 * Linux. As root (a system service) the notification must be sent as the desktop user, on
 * that user's session bus: `runuser -u USER -- /usr/bin/notify-send …` with
 * DBUS_SESSION_BUS_ADDRESS and XDG_RUNTIME_DIR pointing at /run/user/UID. As the user, directly.
 */
export function linuxNotifyCommand(n: Notice, to: DesktopUser, opts: { asRoot: boolean; notifySendPath?: string }): NotifyCommand {
  const args = [
    '--app-name=Posture',
    `--urgency=${n.urgency}`,
    '--icon=dialog-warning',
    '--',
    cleanText(n.title, MAX_TITLE),
    escapePango(cleanText(n.body, MAX_BODY, true)),
  ];
  const env = { DBUS_SESSION_BUS_ADDRESS: to.busAddress ?? defaultBus(to.uid), XDG_RUNTIME_DIR: `/run/user/${to.uid}` };
  if (!opts.asRoot) return { name: 'notify-send', args, env };
  return { name: 'runuser', args: ['-u', to.user, '--', opts.notifySendPath ?? '/usr/bin/notify-send', ...args], env };
}

/**
 * macOS. The text is passed as arguments to the script's run handler, so no user-visible
 * string is ever parsed as AppleScript. As root, run in the console user's GUI session
 * with `launchctl asuser UID`.
 */
export const OSASCRIPT_LINES = ['on run argv', 'display notification (item 2 of argv) with title (item 1 of argv)', 'end run'];

export function darwinNotifyCommand(n: Notice, to: { uid: number } | null, opts: { asRoot: boolean; osascriptPath?: string }): NotifyCommand {
  const script = OSASCRIPT_LINES.flatMap((l) => ['-e', l]);
  // macOS banners cannot carry a link; the body mentions it.
  const text = [cleanText(n.title, MAX_TITLE), cleanText(n.body, MAX_BODY, true)];
  if (opts.asRoot && to) return { name: 'launchctl', args: ['asuser', String(to.uid), opts.osascriptPath ?? '/usr/bin/osascript', ...script, ...text] };
  return { name: 'osascript', args: [...script, ...text] };
}

/** A PowerShell single-quoted literal: only quote characters are special, and PowerShell treats the typographic ones as quotes too. */
export const psQuote = (s: string): string => `'${s.replace(/['‘’‚‛]/g, (q) => q + q)}'`;

/** PowerShell's own AppUserModelID: lets a script show a toast without registering an app. */
export const TOAST_APP_ID = '{1AC14E77-02E7-4E5D-B744-2EB1AE5198B7}\\WindowsPowerShell\\v1.0\\powershell.exe';

export function windowsToastScript(n: Notice): string {
  const lines = [
    "$ErrorActionPreference = 'Stop'",
    '$null = [Windows.UI.Notifications.ToastNotificationManager, Windows.UI.Notifications, ContentType = WindowsRuntime]',
    '$null = [Windows.Data.Xml.Dom.XmlDocument, Windows.Data.Xml.Dom.XmlDocument, ContentType = WindowsRuntime]',
    '$xml = New-Object Windows.Data.Xml.Dom.XmlDocument',
    `$xml.LoadXml('<toast><visual><binding template="ToastGeneric"><text/><text/></binding></visual></toast>')`,
    "$t = $xml.GetElementsByTagName('text')",
    // Text nodes, not markup: nothing in the text can add XML elements or attributes.
    `$null = $t.Item(0).AppendChild($xml.CreateTextNode(${psQuote(cleanText(n.title, MAX_TITLE))}))`,
    `$null = $t.Item(1).AppendChild($xml.CreateTextNode(${psQuote(cleanText(n.body, MAX_BODY, true))}))`,
  ];
  if (n.url && /^https?:\/\//.test(n.url)) {
    lines.push("$xml.DocumentElement.SetAttribute('activationType', 'protocol')", `$xml.DocumentElement.SetAttribute('launch', ${psQuote(n.url)})`);
  }
  if (n.urgency === 'critical') lines.push("$xml.DocumentElement.SetAttribute('scenario', 'reminder')");
  lines.push(
    '$toast = New-Object Windows.UI.Notifications.ToastNotification $xml',
    `[Windows.UI.Notifications.ToastNotificationManager]::CreateToastNotifier(${psQuote(TOAST_APP_ID)}).Show($toast)`,
  );
  return lines.join('\n');
}

/** -EncodedCommand (UTF-16LE base64): the script never passes through command-line quoting. */
export function windowsNotifyCommand(n: Notice): NotifyCommand {
  const encoded = Buffer.from(windowsToastScript(n), 'utf16le').toString('base64');
  return { name: 'powershell', args: ['-NoProfile', '-NonInteractive', '-WindowStyle', 'Hidden', '-EncodedCommand', encoded] };
}
