/** Set by the build (scripts/build/agent.ts, esbuild `define`); absent when run from source. */
declare const __POSTURE_AGENT_VERSION__: string | undefined;

/** This agent's version (MAJOR.MINOR.PATCH): what reports carry and what the updater compares. */
export const AGENT_VERSION: string = typeof __POSTURE_AGENT_VERSION__ === 'string' ? __POSTURE_AGENT_VERSION__ : '0.1.0';
