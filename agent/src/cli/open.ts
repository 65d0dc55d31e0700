/**
 * `posture-agent open [--print]`: open this device's My-device page in the browser, signed in
 * by a short-lived link token (no admin login). --print prints the link instead. The running
 * agent mints the link over its local channel (agent/src/local/), so the employee needs no
 * access to the device key; without an agent, the key file is used (root / own agent).
 */
import { loadConfig, StatePermissionError } from '../state/config.js';
import { localChannelPath } from '../state/paths.js';
import { askAgent } from '../local/client.js';
import { clientKeyFor } from '../local/proof/client-key.js';
import { myDeviceLink } from '../notify/link.js';
import { defaultRunner } from '../exec/runner.js';
import type { CommandName } from '../exec/allowlist.js';
import { readStatus } from '../runtime/status-file.js';
import { refusedByAgent, STATUS_EXIT } from './status.js';

/** The browser-opening command per platform, as an argv (no shell). */
export function openCommandFor(platform: string, url: string): { name: CommandName; args: string[] } | null {
  if (platform === 'linux') return { name: 'xdg-open', args: [url] };
  if (platform === 'darwin') return { name: 'open', args: [url] };
  // Start-Process with a single-quoted literal: the URL is ours (https + base64url token), quotes doubled anyway.
  if (platform === 'win32') return { name: 'powershell', args: ['-NoProfile', '-NonInteractive', '-Command', `Start-Process '${url.replace(/['‘’‚‛]/g, "''")}'`] };
  return null;
}

export async function openCommand(a: { stateDir: string; print: boolean }): Promise<number> {
  // The running agent signs the link for us: the employee needs no access to the key.
  const proof = await clientKeyFor(a.stateDir, defaultRunner().run);
  const asked = await askAgent(localChannelPath(a.stateDir), { v: 1, type: 'open' }, undefined, proof.key);
  let url: string;
  if (asked.kind === 'answer' && asked.response.ok && 'url' in asked.response) url = asked.response.url;
  else {
    const refusal = asked.kind === 'answer' && !asked.response.ok ? asked.response : null;
    if (refusal?.code === 'revoked') {
      console.error(`posture-agent open: ${refusal.error}`);
      return STATUS_EXIT.revoked;
    }
    try {
      url = await signLocally(a.stateDir);
    } catch (e) {
      if (e instanceof RevokedHere) {
        console.error('posture-agent open: an administrator revoked this computer in Posture; it has no device page any more. Ask IT to restore it and re-enroll.');
        return STATUS_EXIT.revoked;
      }
      const code = e instanceof StatePermissionError ? e.code : (e as NodeJS.ErrnoException).code;
      if (code !== 'EACCES' && code !== 'EPERM') throw e;
      if (refusal) return refusedByAgent('open', proof.problem ? `${refusal.error}; ${proof.problem}` : refusal.error, false);
      // Neither the agent nor the key: a permission problem, said as one.
      console.error(permissionMessage('open', a.stateDir, asked.kind === 'none' ? asked.detail : ''));
      return STATUS_EXIT.permission;
    }
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

class RevokedHere extends Error {}

/** Without a running agent: sign with the key file (root, or the user's own agent). */
async function signLocally(stateDir: string): Promise<string> {
  const cfg = loadConfig(stateDir);
  // A revoked device's link would only meet a 403; say why instead, with `status`'s exit code.
  if (readStatus(stateDir)?.revoked) throw new RevokedHere();
  return myDeviceLink(stateDir, cfg);
}

/**
 * The words for "this user cannot read the agent's state and no agent answered": what is
 * wrong and the two ways out. `detail`: why the local channel did not answer.
 */
export function permissionMessage(command: string, stateDir: string, detail: string): string {
  return [
    `posture-agent ${command}: permission denied: the agent's state in ${stateDir} belongs to the agent's service account, and no running agent answered on its local channel${detail ? ` (${detail})` : ''}.`,
    `Start the agent service (\`sudo systemctl start posture-agent\`, or \`posture-agent run\` as its owner) so it answers for you, or run \`sudo posture-agent ${command}\`.`,
  ].join('\n');
}
