/**
 * `posture-agent open [--print]`: open this device's My-device page in the browser, signed in
 * by a short-lived link token (no admin login). --print prints the link instead.
 */
import { loadConfig } from '../state/config.js';
import { myDeviceLink } from '../notify/link.js';
import { defaultRunner } from '../exec/runner.js';
import type { CommandName } from '../exec/allowlist.js';
import { readStatus } from '../runtime/status-file.js';
import { STATUS_EXIT } from './status.js';

/** The browser-opening command per platform, as an argv (no shell). */
export function openCommandFor(platform: string, url: string): { name: CommandName; args: string[] } | null {
  if (platform === 'linux') return { name: 'xdg-open', args: [url] };
  if (platform === 'darwin') return { name: 'open', args: [url] };
  // Start-Process with a single-quoted literal: the URL is ours (https + base64url token), quotes doubled anyway.
  if (platform === 'win32') return { name: 'powershell', args: ['-NoProfile', '-NonInteractive', '-Command', `Start-Process '${url.replace(/['‘’‚‛]/g, "''")}'`] };
  return null;
}

export async function openCommand(a: { stateDir: string; print: boolean }): Promise<number> {
  const cfg = loadConfig(a.stateDir);
  // A revoked device's link would only meet a 403; say why instead, with `status`'s exit code.
  if (readStatus(a.stateDir)?.revoked) {
    console.error('posture-agent open: an administrator revoked this computer in Posture; it has no device page any more. Ask IT to restore it and re-enroll.');
    return STATUS_EXIT.revoked;
  }
  let url: string;
  try {
    url = await myDeviceLink(a.stateDir, cfg);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') throw e;
    // The device key is readable by the service account only; the link must be signed with it.
    console.error('posture-agent open: the device key is readable only by the agent’s service account. Run `sudo posture-agent open --print` and open the printed link in your browser.');
    return 1;
  }
  if (a.print) {
    console.log(url);
    return 0;
  }
  const cmd = openCommandFor(process.platform, url);
  const r = cmd ? await defaultRunner().run(cmd.name, cmd.args, { timeoutMs: 15_000 }) : null;
  if (!r?.ok) {
    // No browser here (server, SSH session): the link is still useful on another screen.
    console.log(`Could not open a browser here. Open this link (valid 10 minutes, one use):\n${url}`);
    return 0;
  }
  console.log('Opened your device page in the browser (the link is valid for 10 minutes).');
  return 0;
}
