/** Explicit size limits shared by agent and collector. Changing one is a protocol change. */
export const LIMITS = {
  /** Largest WebSocket message the collector accepts (ws maxPayload). */
  maxMessageBytes: 512 * 1024,
  /** Largest HTTP body (enrollment carries the inventory). */
  maxHttpBodyBytes: 512 * 1024,
  /** Deepest JSON nesting accepted before schema validation. */
  maxJsonDepth: 32,
  /** Per-device rate limit: messages per window and bytes per window. */
  rateWindowMs: 10_000,
  rateMaxMessages: 200,
  rateMaxBytes: 8 * 1024 * 1024,
  /** Device JWT lifetime cap and clock skew tolerated. */
  maxTokenLifetimeSec: 300,
  clockSkewSec: 60,
  /** A report collected further in the future than this is rejected. */
  maxReportFutureSkewSec: 300,
  /** Reports an agent may have in flight (sent, not yet acked). */
  maxInFlight: 32,
} as const;
