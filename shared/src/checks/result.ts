/**
 * The shape of one check's outcome, as the agent reports it and the collector stores it.
 * `status` is the agent's own verdict under its default thresholds; the collector
 * re-evaluates the `evidence.facts` against the policy (shared/src/policy) and its
 * verdict is authoritative.
 */
import { Type, type Static } from '@sinclair/typebox';
import { CheckIdSchema } from './ids.js';

export const CheckStatus = Type.Union([Type.Literal('pass'), Type.Literal('fail'), Type.Literal('unknown')]);
export type CheckStatus = Static<typeof CheckStatus>;

export const Remediation = Type.Object(
  {
    /** Short, numbered-in-display steps with the exact settings path or command. */
    steps: Type.Array(Type.String({ maxLength: 500 }), { maxItems: 12 }),
    /** Optional link, e.g. the company's own help page set by the policy. */
    url: Type.Optional(Type.String({ maxLength: 500 })),
  },
  { additionalProperties: false },
);
export type Remediation = Static<typeof Remediation>;

export const CheckResult = Type.Object(
  {
    /** A built-in id or `custom.<slug>` (see ids.ts). */
    id: CheckIdSchema,
    status: CheckStatus,
    summary: Type.String({ maxLength: 500 }),
    /**
     * What was seen. `facts` (see facts.ts) is the normalized part the policy evaluator reads;
     * everything else is detail for humans and auditors (which volume, which profile, which product).
     */
    evidence: Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), { maxProperties: 64 }),
    remediation: Remediation,
    /** Why the status is `unknown` (tool missing, permission denied, timeout, unsupported). */
    reason: Type.Optional(Type.String({ maxLength: 500 })),
    /** True when running as root/administrator would give a more precise answer. */
    needsElevation: Type.Optional(Type.Boolean()),
    durationMs: Type.Optional(Type.Number({ minimum: 0, maximum: 3_600_000 })),
  },
  { additionalProperties: false },
);
export type CheckResult = Static<typeof CheckResult>;
