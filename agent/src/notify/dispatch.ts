/**
 * Show a notice on this machine's desktop, through the one command runner. Never throws:
 * no desktop session (servers, containers, the login window) or a failing notifier is a
 * result the caller logs once, not an error.
 */
import type { RunFn } from '../exec/runner.js';
import type { CommandName } from '../exec/allowlist.js';
import { darwinNotifyCommand, linuxNotifyCommand, windowsNotifyCommand, type DesktopUser, type Notice, type NotifyCommand } from './commands.js';
import { findDarwinConsoleUid, findLinuxDesktopUser, selfDesktopUser } from './session.js';

export interface DispatchResult {
  shown: boolean;
  /** 'no-session' | 'not-installed' | 'failed' | 'unsupported' when not shown. */
  why?: string;
  command?: string;
  detail?: string;
}

export interface DispatchEnv {
  platform: string;
  run: RunFn;
  resolve: (name: CommandName) => Promise<string | null>;
  asRoot: boolean;
  /** Override session discovery (e.g. a known user and bus); discovery runs when absent. */
  linuxUser?: DesktopUser | null;
}

async function commandFor(n: Notice, env: DispatchEnv): Promise<NotifyCommand | { why: string }> {
  if (env.platform === 'linux') {
    const path = await env.resolve('notify-send');
    if (!path) return { why: 'not-installed' };
    const user = env.linuxUser !== undefined ? env.linuxUser : env.asRoot ? await findLinuxDesktopUser(env.run) : selfDesktopUser();
    if (!user) return { why: 'no-session' };
    return linuxNotifyCommand(n, user, { asRoot: env.asRoot, notifySendPath: path });
  }
  if (env.platform === 'darwin') {
    const uid = env.asRoot ? await findDarwinConsoleUid(env.run) : null;
    if (env.asRoot && uid === null) return { why: 'no-session' };
    return darwinNotifyCommand(n, uid === null ? null : { uid }, { asRoot: env.asRoot, osascriptPath: (await env.resolve('osascript')) ?? undefined });
  }
  // A service in session 0 cannot show toasts; the script then fails and we say so once.
  if (env.platform === 'win32') return windowsNotifyCommand(n);
  return { why: 'unsupported' };
}

export async function dispatchNotice(n: Notice, env: DispatchEnv): Promise<DispatchResult> {
  const cmd = await commandFor(n, env);
  if ('why' in cmd) return { shown: false, why: cmd.why };
  const r = await env.run(cmd.name, cmd.args, { env: cmd.env, timeoutMs: 15_000 });
  if (r.ok) return { shown: true, command: r.command.slice(0, 300) };
  return { shown: false, why: r.error === 'not_found' ? 'not-installed' : 'failed', command: r.command.slice(0, 300), detail: (r.stderr || r.stdout).trim().slice(0, 300) };
}
