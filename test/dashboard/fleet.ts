/**
 * Devices for dashboard/policy tests: enrolled over real HTTP, reporting real signed
 * reports over a real WebSocket (no probes), so ingest and the evaluator decide state.
 */
import type { CheckResult } from '../../shared/src/checks/result.js';
import type { CheckId } from '../../shared/src/checks/ids.js';
import { connectDevice, enrollDevice, nextMessage, sampleChecks, signedReport, type TestDevice } from '../helpers/device.js';
import { projected } from '../helpers/collector.js';

export interface ReportingDevice extends TestDevice {
  /** Send one report and wait for its ack. */
  report(opts?: { fail?: CheckId[]; checks?: CheckResult[]; hostname?: string; collectedAt?: Date; software?: { name: string; version?: string }[] }): Promise<string>;
  close(): void;
}

export async function reportingDevice(server: string, hostname = 'test-host'): Promise<ReportingDevice> {
  const d = await enrollDevice(server, { hostname });
  const sock = await connectDevice(d);
  const rd = d as ReportingDevice;
  rd.report = async (opts = {}) => {
    const overrides: Partial<Record<CheckId, Partial<CheckResult>>> = {};
    for (const id of opts.fail ?? []) overrides[id] = { status: 'fail', summary: `${id} is off`, remediation: { steps: [`Turn ${id} on`] } };
    const r = await signedReport(d, { checks: opts.checks ?? sampleChecks(overrides), hostname: opts.hostname ?? hostname, collectedAt: opts.collectedAt, software: opts.software });
    sock.ws.send(JSON.stringify({ type: 'report', id: r.id, jws: r.jws }));
    const m = await nextMessage(sock.messages, (x) => x.id === r.id && (x.type === 'ack' || x.type === 'reject' || x.type === 'retry'));
    if (m.type !== 'ack') throw new Error(`report not acked: ${JSON.stringify(m)}`);
    await projected(server); // acked = stored; the state the test reads next is the projector's
    return r.id;
  };
  rd.close = () => sock.ws.close();
  return rd;
}

/** A policy from the default with every check's grace set (0 = noncompliant at once). */
export function withGrace<P extends { checks: Record<string, { graceHours?: number }> }>(policy: P, graceHours: number): P {
  const p = structuredClone(policy);
  for (const c of Object.values(p.checks)) c.graceHours = graceHours;
  return p;
}
