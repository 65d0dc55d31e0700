/**
 * The agent for the machine running the collector, so a newcomer sees a device at once.
 * It is a real agent process (same CLI an employee's laptop runs), enrolled with a
 * short-lived secret of its own, with its state under the data directory.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEnrollSecret } from './enrollment/secrets.js';
import type { RunningCollector } from './collector.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function agentCommand(args: string[]): [string, string[]] {
  const entry = join(ROOT, 'agent', 'src', 'cli', 'main.ts');
  return [process.execPath, ['--import', 'tsx', entry, ...args]];
}

export async function startLocalAgent(c: RunningCollector): Promise<{ stop(): Promise<void> }> {
  const stateDir = join(c.ctx.config.dataDir, 'local-agent');
  if (!existsSync(join(stateDir, 'agent.json'))) {
    const { secret } = await createEnrollSecret(c.db, { label: 'local-agent', createdBy: 'npm start', expiresAt: new Date(Date.now() + 10 * 60_000) });
    const [cmd, args] = agentCommand(['enroll', '--server', c.url, '--secret', secret, '--state-dir', stateDir]);
    const code = await new Promise<number>((res) => spawn(cmd, args, { stdio: 'inherit', cwd: ROOT }).on('exit', (n) => res(n ?? 1)));
    if (code !== 0) throw new Error(`enrollment exited with ${code}`);
  }
  const [cmd, args] = agentCommand(['run', '--state-dir', stateDir]);
  const child: ChildProcess = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], cwd: ROOT });
  console.log(`  Local agent running (pid ${child.pid}, state in ${stateDir}); it appears on the dashboard within seconds.`);
  return {
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}
