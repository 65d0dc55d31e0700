/** `posture-agent run`: the long-running agent (foreground; the service manager supervises it). */
import { AgentRuntime } from '../runtime/agent.js';
import { runCycle } from '../runtime/cycle.js';

/** Resolves with -1 (keep running) and exits the process on SIGINT/SIGTERM after a clean stop. */
export async function runAgent(stateDir: string): Promise<number> {
  const agent = new AgentRuntime({ stateDir, runCycle: (o) => runCycle(o) });
  await agent.start();
  console.log(`[posture-agent] running; checks every ${agent.intervalSec}s; state in ${stateDir}`);
  const stop = async () => {
    await agent.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  return -1;
}
