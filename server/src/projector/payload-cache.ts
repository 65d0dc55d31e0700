/**
 * Payloads of reports this collector just stored, handed to the local projector so it does not
 * fetch and decode the JWS it already holds. Bounded (oldest dropped first); a miss only means
 * the projector reads the report from the log, so the cache never changes what is applied.
 */
import type { ReportPayload } from '#shared/protocol/messages.js';
import type { PayloadCache } from './read-log.js';

export class RecentPayloads implements PayloadCache {
  private map = new Map<string, ReportPayload>();
  constructor(private readonly max = 20_000) {}

  put(reportId: string, payload: ReportPayload): void {
    this.map.set(reportId, payload);
    if (this.map.size > this.max) {
      const oldest = this.map.keys().next().value;
      if (oldest !== undefined) this.map.delete(oldest);
    }
  }

  take(reportId: string): ReportPayload | undefined {
    const p = this.map.get(reportId);
    if (p) this.map.delete(reportId);
    return p;
  }

  get size(): number {
    return this.map.size;
  }
}
