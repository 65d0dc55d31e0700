/**
 * WebSocket protocol between agent and collector (path /agent/v1/ws).
 * Every message is a JSON text frame validated against these schemas on receipt.
 * Reports travel as a compact JWS signed by the device key so the collector can store
 * the exact bytes the device signed as evidence.
 */
import { Type, type Static } from '@sinclair/typebox';
import { UpdateRollout } from '../policy/updates.js';
import { CheckIdSchema } from '../checks/ids.js';
import { MAX_CUSTOM_CHECKS } from '../custom-checks/schema.js';
import { CheckResult } from '../checks/result.js';
import { Inventory } from './inventory.js';
import { LIMITS } from './limits.js';

export const PROTOCOL_VERSION = 1;
export const WS_PATH = '/agent/v1/ws';

const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9._:-]+$' });
const Jws = Type.String({ minLength: 10, maxLength: LIMITS.maxMessageBytes - 1024 });

/** Payload of a report JWS. */
export const ReportPayload = Type.Object(
  {
    v: Type.Literal(1),
    reportId: Id,
    deviceId: Id,
    seq: Type.Integer({ minimum: 0 }),
    /** SHA-256 hex of the previous report's compact JWS (shared/src/evidence/chain.ts); absent on a device's first report. */
    prevHash: Type.Optional(Type.String({ pattern: '^[a-f0-9]{64}$', maxLength: 64 })),
    collectedAt: Type.String({ format: 'date-time', maxLength: 40 }),
    agentVersion: Type.String({ maxLength: 64 }),
    trigger: Type.Optional(Type.String({ maxLength: 80 })),
    inventory: Inventory,
    /** Built-in checks plus the policy's custom checks. */
    checks: Type.Array(CheckResult, { maxItems: 6 + MAX_CUSTOM_CHECKS }),
    /** Spool health carried with each report: evictions are counted, never silent. */
    spool: Type.Optional(
      Type.Object(
        { pending: Type.Integer({ minimum: 0 }), evicted: Type.Integer({ minimum: 0 }), quarantined: Type.Integer({ minimum: 0 }) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ReportPayload = Static<typeof ReportPayload>;

// ---- agent -> collector ----
export const AgentReport = Type.Object(
  { type: Type.Literal('report'), id: Id, jws: Jws },
  { additionalProperties: false },
);
export const AgentCommandResult = Type.Object(
  {
    type: Type.Literal('command-result'),
    commandId: Id,
    ok: Type.Boolean(),
    error: Type.Optional(Type.String({ maxLength: 500 })),
    /** For rotate-key: a JWS signed by the OLD key over {deviceId, newJwk, commandId}, and one by the NEW key. */
    oldKeyProof: Type.Optional(Jws),
    newKeyProof: Type.Optional(Jws),
  },
  { additionalProperties: false },
);
export const AgentHello = Type.Object(
  {
    type: Type.Literal('hello'),
    agentVersion: Type.String({ maxLength: 64 }),
    spoolPending: Type.Integer({ minimum: 0 }),
  },
  { additionalProperties: false },
);
/** States of an update attempt (agent/src/update/updater.ts UpdateState). */
export const UPDATE_STATES = ['idle', 'up-to-date', 'refused', 'rolled-back', 'swapped', 'committed'] as const;
export type UpdateStateName = (typeof UPDATE_STATES)[number];
const Version = Type.String({ maxLength: 40, pattern: '^[0-9A-Za-z.+-]{1,40}$' });
/**
 * The agent's last update attempt (its <state>/update/state.json), sent after each attempt,
 * after the first acknowledged report of a swapped-in version ('committed'), and once per
 * connection so attempts made while offline (a rolled-back trial runs with the link down)
 * still reach the collector. Sent only to a collector that announced `update-status` in a
 * `features` message: an older collector closes the socket on a message type it does not
 * know.
 */
export const AgentUpdateStatus = Type.Object(
  {
    type: Type.Literal('update-status'),
    state: Type.Union(UPDATE_STATES.map((s) => Type.Literal(s))),
    from: Type.Optional(Version),
    to: Type.Optional(Version),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
    /** When the attempt ended (the agent's clock). */
    at: Type.String({ format: 'date-time', maxLength: 40 }),
  },
  { additionalProperties: false },
);
export type AgentUpdateStatus = Static<typeof AgentUpdateStatus>;
export const AgentMessage = Type.Union([AgentReport, AgentCommandResult, AgentHello, AgentUpdateStatus]);
export type AgentMessage = Static<typeof AgentMessage>;

// ---- collector -> agent ----
export const AgentPolicy = Type.Object(
  {
    intervalSec: Type.Integer({ minimum: 10, maximum: 86_400 }),
    /** Thresholds the agent uses to judge locally (the collector re-judges authoritatively). */
    thresholds: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.Union([Type.Number(), Type.String({ maxLength: 64 }), Type.Boolean()]))),
    /** Update rollout in force for this device (shared/src/policy/updates.ts). */
    updates: Type.Optional(UpdateRollout),
    /**
     * The policy's custom checks (shape: custom-checks/schema.ts CustomCheck). Deliberately not
     * schema-checked per entry here: an agent that does not know a newer probe kind must still
     * accept the welcome; it validates each check itself and reports a refused one as unknown.
     */
    customChecks: Type.Optional(Type.Array(Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), { maxProperties: 32 }), { maxItems: MAX_CUSTOM_CHECKS })),
  },
  { additionalProperties: false },
);
export type AgentPolicy = Static<typeof AgentPolicy>;

export const ServerWelcome = Type.Object(
  { type: Type.Literal('welcome'), deviceId: Id, serverTime: Type.String(), policy: AgentPolicy },
  { additionalProperties: false },
);
export const ServerAck = Type.Object({ type: Type.Literal('ack'), id: Id, duplicate: Type.Optional(Type.Boolean()) }, { additionalProperties: false });
/** The report could not be stored now (e.g. database down): keep it and retry later. */
export const ServerRetry = Type.Object(
  { type: Type.Literal('retry'), id: Id, retryAfterMs: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);
/** The report is permanently refused (bad signature, wrong device, too far in future). */
export const ServerReject = Type.Object(
  { type: Type.Literal('reject'), id: Id, code: Type.String({ maxLength: 64 }), message: Type.String({ maxLength: 500 }) },
  { additionalProperties: false },
);
export const ServerCommand = Type.Object(
  {
    type: Type.Literal('command'),
    commandId: Id,
    command: Type.Union([Type.Literal('check-now'), Type.Literal('policy-update'), Type.Literal('rotate-key'), Type.Literal('update-now')]),
    checks: Type.Optional(Type.Array(CheckIdSchema, { maxItems: 6 + MAX_CUSTOM_CHECKS })),
    policy: Type.Optional(AgentPolicy),
  },
  { additionalProperties: false },
);
/**
 * Sent right after the welcome: agent messages this collector accepts beyond protocol v1's
 * first set. A new message type is announced here instead of added to the welcome, whose
 * schema older agents check strictly; an older agent logs this message as unknown and
 * ignores it.
 */
export const ServerFeatures = Type.Object(
  { type: Type.Literal('features'), accepts: Type.Array(Type.String({ maxLength: 40 }), { maxItems: 32 }) },
  { additionalProperties: false },
);
/** Feature name for AgentUpdateStatus. */
export const FEATURE_UPDATE_STATUS = 'update-status';
/**
 * Feature name: reports may carry `inventory.softwareHash` and leave out an unchanged software
 * list (the collector keeps the last list it received with that hash). Without it the agent
 * sends the whole list in every report and no hash (an older collector refuses unknown fields).
 */
export const FEATURE_SOFTWARE_DELTA = 'software-delta';
export const ServerMessage = Type.Union([ServerWelcome, ServerAck, ServerRetry, ServerReject, ServerCommand, ServerFeatures]);
export type ServerMessage = Static<typeof ServerMessage>;
export type ServerCommand = Static<typeof ServerCommand>;

/** Close codes: distinct per cause so an agent (and an operator reading logs) knows what happened. */
export const CLOSE = {
  noToken: 4001,
  badSignature: 4002,
  expired: 4003,
  replayed: 4004,
  unknownDevice: 4005,
  revoked: 4006,
  badToken: 4007,
  invalidMessage: 4008,
  rateLimited: 4009,
  /** Collector going away (shutdown/overload); reason is JSON {retryAfterMs}. */
  retryLater: 4010,
  /** Another connection for this device replaced this one. */
  replaced: 4011,
  /** An administrator replaced this device's key (approved a re-enrollment from another install): this key is done for good. */
  keyReplaced: 4012,
} as const;

/** Codes after which the agent must not reconnect with the same credentials. */
export const FATAL_CLOSE_CODES: readonly number[] = [CLOSE.revoked, CLOSE.unknownDevice];

// ---- enrollment (HTTP) ----
export const EnrollRequest = Type.Object(
  {
    secret: Type.String({ minLength: 1, maxLength: 256 }), // a mistyped short secret is "not valid" (401), not a schema error
    publicJwk: Type.Object(
      { kty: Type.Literal('OKP'), crv: Type.Literal('Ed25519'), x: Type.String({ minLength: 40, maxLength: 64 }) },
      { additionalProperties: true },
    ),
    fingerprint: Type.String({ pattern: '^[a-f0-9]{64}$' }),
    agentVersion: Type.String({ maxLength: 64 }),
    inventory: Inventory,
    /**
     * Re-enrollment of a known machine by the install that holds its current key: a compact JWS
     * signed by that key over ReenrollProofPayload. Without it, enrolling a known fingerprint
     * only creates a pending enrollment an administrator must approve.
     */
    proof: Type.Optional(Type.String({ minLength: 10, maxLength: 4096 })),
    /** The owner's email (`posture-agent enroll --owner EMAIL`); assigned with source `enrollment`. */
    owner: Type.Optional(Type.String({ minLength: 3, maxLength: 320, pattern: '^[^\\s@]+@[^\\s@]+$' })),
    /** Enrolment tags (`posture-agent enroll --tag T`, repeatable), matched by rule-based device groups. */
    tags: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 64, pattern: '^[a-z0-9][a-z0-9._-]*$' }), { maxItems: 16 })),
  },
  { additionalProperties: false },
);
export type EnrollRequest = Static<typeof EnrollRequest>;

export const EnrollResponse = Type.Object({
  deviceId: Id,
  keyId: Id,
  audience: Type.String(),
  policy: AgentPolicy,
});
export type EnrollResponse = Static<typeof EnrollResponse>;

/** What the current key signs to re-key its own device (agent/src/cli/enroll.ts, server/src/enrollment/proof.ts). */
export interface ReenrollProofPayload {
  purpose: 'posture-reenroll';
  /** The device the signer is the current key of. */
  deviceId: string;
  /** The collector id (audience). */
  aud: string;
  /** `x` of the NEW public key offered in the same request. */
  x: string;
  /** Single use, ≥ 16 chars. */
  nonce: string;
  /** Seconds since the epoch; accepted within ±5 minutes. */
  iat: number;
}

/** 202 answer to an enrollment for a machine that already has a device: nothing was changed. */
export const EnrollPendingResponse = Type.Object({
  status: Type.Literal('pending'),
  pendingId: Id,
  message: Type.String({ maxLength: 500 }),
});
export type EnrollPendingResponse = Static<typeof EnrollPendingResponse>;

/** POST /agent/v1/enrollments/status: the pending install asks, proving it holds the offered key. */
export const PendingStatusRequest = Type.Object(
  {
    pendingId: Id,
    /** Compact JWS by the offered (pending) key over {purpose:'posture-enrollment-status', pendingId, aud, iat}. */
    proof: Type.String({ minLength: 10, maxLength: 4096 }),
  },
  { additionalProperties: false },
);
export type PendingStatusRequest = Static<typeof PendingStatusRequest>;

export const PendingStatusResponse = Type.Object({
  status: Type.Union([Type.Literal('pending'), Type.Literal('approved'), Type.Literal('rejected')]),
  reason: Type.Optional(Type.Union([Type.String({ maxLength: 500 }), Type.Null()])),
  decidedAt: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  /** Only once approved. */
  deviceId: Type.Optional(Id),
  keyId: Type.Optional(Id),
  audience: Type.Optional(Type.String()),
  policy: Type.Optional(AgentPolicy),
});
export type PendingStatusResponse = Static<typeof PendingStatusResponse>;

export const CollectorInfo = Type.Object({
  collectorId: Type.String(),
  fingerprintSalt: Type.String(),
  version: Type.String(),
});
export type CollectorInfo = Static<typeof CollectorInfo>;

/** JWT audience for My-device page link tokens (never accepted on the socket). */
export const MY_DEVICE_AUDIENCE_SUFFIX = ':my-device';
