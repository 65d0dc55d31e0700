/**
 * The agent's persistent configuration (agent.json), layered: file < command-line flags <
 * server push (policy-update). Validated on load so a hand-edited file fails clearly.
 */
import { readFileSync } from 'node:fs';
import { Type, type Static } from '@sinclair/typebox';
import { compile } from '#shared/schema/validate.js';
import { AgentPolicy } from '#shared/protocol/messages.js';
import { writeFileAtomic } from './atomic.js';
import { files } from './paths.js';

export const AgentConfig = Type.Object(
  {
    server: Type.String({ maxLength: 500 }),
    deviceId: Type.String({ maxLength: 64 }),
    audience: Type.String({ maxLength: 200 }),
    keyId: Type.String({ maxLength: 128 }),
    enrolledAt: Type.String(),
    policy: AgentPolicy,
    /** Extra CA certificate (PEM file) trusted for wss:// besides the system store. */
    caFile: Type.Optional(Type.String({ maxLength: 1000 })),
    /** Pin: base64 SHA-256 of the collector certificate's SubjectPublicKeyInfo. */
    pinSha256: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 4 })),
    /** Local override of the check interval (flag --interval), wins over the server's. */
    intervalOverrideSec: Type.Optional(Type.Integer({ minimum: 5 })),
    backoff: Type.Optional(Type.Object({ baseMs: Type.Integer({ minimum: 10 }), capMs: Type.Integer({ minimum: 100 }) })),
    spool: Type.Optional(Type.Object({ maxBytes: Type.Integer({ minimum: 1024 }), maxAgeDays: Type.Number({ minimum: 0.001 }) })),
  },
  { additionalProperties: true },
);
export type AgentConfig = Static<typeof AgentConfig>;
const validator = compile(AgentConfig);

export class NotEnrolledError extends Error {}

/**
 * The state exists but this user may not read it (the agent runs as a service account and
 * keeps its directory 0700). Never reported as "not enrolled": cli/main.ts says what to do.
 */
export class StatePermissionError extends Error {
  constructor(
    readonly path: string,
    readonly code: string,
  ) {
    super(`cannot read ${path} (${code === 'EPERM' ? 'operation not permitted' : 'permission denied'})`);
  }
}

export function loadConfig(dir: string): AgentConfig {
  const p = files(dir).config;
  let text: string;
  try {
    // Not existsSync: it answers false for an unreadable directory, which is how a
    // permission problem used to look like "not enrolled".
    text = readFileSync(p, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    if (code === 'EACCES' || code === 'EPERM') throw new StatePermissionError(p, code);
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new NotEnrolledError(`this agent is not enrolled (no ${p}); run: posture-agent enroll --server URL --secret SECRET`);
    throw e;
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${p} is not valid JSON: ${(e as Error).message}`);
  }
  const v = validator.validate(raw);
  if (!v.ok) throw new Error(`${p} is invalid: ${v.errors.join('; ')}`);
  return v.value;
}

export function saveConfig(dir: string, cfg: AgentConfig): void {
  writeFileAtomic(files(dir).config, JSON.stringify(cfg, null, 2) + '\n', 0o600);
}
