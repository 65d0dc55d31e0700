/**
 * `npm start`: run the collector (embedded PostgreSQL in ./data unless DATABASE_URL is set),
 * print what a newcomer needs, and enroll + run an agent for this machine unless
 * --no-local-agent is given.
 */
import { ConfigError, loadConfig } from './config/env.js';
import { startCollector } from './collector.js';
import { startLocalAgent } from './local-agent.js';

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
  const lines = [
    '',
    `Posture collector ${c.ctx.version} listening on ${c.url} (store: ${config.databaseUrl ? 'PostgreSQL via DATABASE_URL' : `embedded, ${config.dataDir}`})`,
    `  Dashboard:   ${c.url}/`,
  ];
  if (c.boot.adminToken) lines.push(`  Admin token: ${c.boot.adminToken}   (shown once; sign in with it, or send it as "Authorization: Bearer")`);
  else lines.push('  Admin token: shown at first start (stored hashed). Set POSTURE_ADMIN_TOKEN to replace it.');
  if (c.boot.enrollSecret) lines.push(`  Enroll an agent:\n    npm run agent -- enroll --server ${c.url} --secret ${c.boot.enrollSecret}\n    npm run agent -- run`);
  else lines.push('  Enrollment secrets: create one with POST /api/v1/enroll-secrets (the initial one was shown at first start).');
  console.log(lines.join('\n') + '\n');

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
