/**
 * WebSocket protocol between agent and collector (path /agent/v1/ws).
 * Every message is a JSON text frame validated against these schemas on receipt.
 * Reports travel as a compact JWS signed by the device key so the collector can store
 * the exact bytes the device signed as evidence.
 */
import { Type, type Static } from '@sinclair/typebox';
import { UpdateRollout } from '../policy/updates.js';
import { CHECK_IDS } from '../checks/ids.js';
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
    collectedAt: Type.String({ format: 'date-time', maxLength: 40 }),
    agentVersion: Type.String({ maxLength: 64 }),
    trigger: Type.Optional(Type.String({ maxLength: 80 })),
    inventory: Inventory,
    checks: Type.Array(CheckResult, { maxItems: 16 }),
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
export const AgentMessage = Type.Union([AgentReport, AgentCommandResult, AgentHello]);
export type AgentMessage = Static<typeof AgentMessage>;

// ---- collector -> agent ----
export const AgentPolicy = Type.Object(
  {
    intervalSec: Type.Integer({ minimum: 10, maximum: 86_400 }),
    /** Thresholds the agent uses to judge locally (the collector re-judges authoritatively). */
    thresholds: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Type.Union([Type.Number(), Type.String({ maxLength: 64 }), Type.Boolean()]))),
    /** Update rollout in force for this device (shared/src/policy/updates.ts). */
    updates: Type.Optional(UpdateRollout),
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
    checks: Type.Optional(Type.Array(Type.Union(CHECK_IDS.map((c) => Type.Literal(c))), { maxItems: 16 })),
    policy: Type.Optional(AgentPolicy),
  },
  { additionalProperties: false },
);
export const ServerMessage = Type.Union([ServerWelcome, ServerAck, ServerRetry, ServerReject, ServerCommand]);
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

export const CollectorInfo = Type.Object({
  collectorId: Type.String(),
  fingerprintSalt: Type.String(),
  version: Type.String(),
});
export type CollectorInfo = Static<typeof CollectorInfo>;

/** JWT audience for My-device page link tokens (never accepted on the socket). */
export const MY_DEVICE_AUDIENCE_SUFFIX = ':my-device';
