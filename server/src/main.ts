/**
 * `npm start`: run the collector (embedded PostgreSQL in ./data unless DATABASE_URL is set),
 * print what a newcomer needs, and enroll + run an agent for this machine unless
 * --no-local-agent is given.
 */
import { ConfigError, loadConfig } from './config/env.js';
import { startCollector } from './collector.js';
import { startLocalAgent } from './local-agent.js';
import { startBanner } from './start-banner.js';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`posture: configuration error: ${e.message}`);
      process.exit(2);
    }
    throw e;
  }
  const c = await startCollector(config, { logger: { level: config.logLevel } });
  console.log(startBanner(c.url, config.databaseUrl ? 'PostgreSQL via DATABASE_URL' : `embedded, ${config.dataDir}`, c.boot, c.ctx.version));

  let agent: { stop(): Promise<void> } | null = null;
  if (!args.includes('--no-local-agent')) {
    agent = await startLocalAgent(c).catch((e) => {
      console.error(`posture: local agent not started: ${(e as Error).message}`);
      return null;
    });
  }

  let stopping = false;
  const stop = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`posture: ${sig} received, shutting down gracefully`);
    const force = setTimeout(() => process.exit(1), 20_000);
    force.unref();
    await agent?.stop().catch(() => {});
    await c.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGHUP', () => void c.ctx.policy.reloadFile('SIGHUP'));
}

main().catch((e) => {
  console.error('posture: failed to start:', e instanceof Error ? e.message : e);
  process.exit(1);
});
