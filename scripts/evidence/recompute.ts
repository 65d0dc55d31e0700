/**
 * Recompute a bundle's figures from its device-signed reports, with the collector's own code
 * (shared/src/evidence/replay.ts, history.ts, figures.ts, aggregate.ts), and compare them with
 * what the bundle says. Everything an operator with database access could change before the
 * export — a state event, a deleted report, a truncated period — shows up here:
 *
 *  - each device's report chain (seq + prevHash) is checked from the last report before the
 *    period to the first after it; a gap counts only when the device's own signed spool
 *    eviction count does not explain it; "no report after" must agree with the last sequence
 *    number the collector applied;
 *  - each report is replayed through the evaluator under the policy version in force at its
 *    time and the exclusions in exclusions.csv; every transition must be in events.csv and
 *    every events.csv row (per-check) must be a recomputed transition, or a re-evaluation
 *    (grace deadline, exclusion start/end) that the evaluator confirms at that moment;
 *  - devices.csv's derived columns and controls.csv's figures are recomputed from the
 *    recomputed timeline.
 *
 * Memory: per device, its check states, last results and report runs; events.csv is held
 * grouped by device (events are few next to reports); reports stream.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { CheckId } from '#shared/checks/ids.js';
import { checkIdsAcross } from '#shared/checks/catalogue.js';
import type { CheckResult } from '#shared/checks/result.js';
import { FleetAggregate } from '#shared/evidence/aggregate.js';
import { DeviceChain, reportHash, type ChainLink } from '#shared/evidence/chain.js';
import { csvCell, parseCsv } from '#shared/evidence/csv.js';
import { DEVICES_CSV_FIRST_DERIVED, devicesCsvHeader, deviceFigures } from '#shared/evidence/figures.js';
import { deviceHistory, type ExclusionWindow, type HistEvent, type ReportRun } from '#shared/evidence/history.js';
import { REPORT_EDGES_FILE, type Manifest } from '#shared/evidence/manifest.js';
import { bucketEdges } from '#shared/evidence/period.js';
import { exclusionsAt, policyAt, stepReevaluate, stepReport, type ReplayCheck, type Transition } from '#shared/evidence/replay.js';
import type { CheckState } from '#shared/policy/evaluate.js';
import type { Policy } from '#shared/policy/schema.js';
import type { ReportPayload } from '#shared/protocol/messages.js';
import { verifyReportLine, type KeyMap, type ReportRecord } from './verify-bundle.js';
import { OWNER_CHECK_ID } from '#shared/policy/owner-check.js';
import { groupsAt, type MembershipWindow } from '#shared/policy/effective.js';
import { digestTail, withDigests } from '#shared/evidence/digest.js';
import type { DigestOutcome } from './digest-check.js';

/** A device's stay in a group (group-memberships.csv), read by the one shared reading (groupsAt). */
type GroupWindow = MembershipWindow;

type Problem = (file: string, message: string) => void;
/** The start of a reports.jsonl line as the exporter writes it: report id and collection time. */
const LINE_HEAD = /^\{"reportId":"([^"\\]*)","deviceId":"[^"\\]*","seq":-?\d+,"kid":"[^"\\]*","collectedAt":"([^"\\]*)"/;
const MAX_PROBLEMS_PER_FILE = 50;

interface EventRow {
  row: number;
  at: number;
  checkId: string;
  from: string;
  to: string;
  reportId: string;
  /**
   * Written when a report was applied (its report_id and its collection time match a line of
   * reports.jsonl), as opposed to a re-evaluation (deadline, exclusion, group change, late
   * report), which the collector wrote at the moment it ran.
   */
  byReport?: boolean;
}
interface Edge {
  deviceId: string;
  before: ReportRecord | null;
  after: ReportRecord | null;
  lastSeq: number | null;
  start: Record<string, { state: string; since: string; failingSince: string | null }>;
}
interface DeviceState {
  states: Map<CheckId, ReplayCheck>;
  lastChecks: CheckResult[] | null;
  platform: string;
  chain: DeviceChain;
  runs: ReportRun[];
  /** Start events (state at `from`) then recomputed transitions, for deviceHistory. */
  timeline: HistEvent[];
  pending: EventRow[];
  lastAt: number;
  /** Set while the chain's last link is a signed digest (the month before the raw reports). */
  fromDigest?: string;
}

const link = (p: ReportPayload, jws: string): ChainLink => ({
  reportId: p.reportId, seq: p.seq, prevHash: p.prevHash, hash: reportHash(jws),
  evicted: (p.spool?.evicted ?? 0) + (p.spool?.quarantined ?? 0),
});
const failingish = (s: string) => s === 'failing' || s === 'noncompliant';

export class Recompute {
  private readonly devices = new Map<string, DeviceState>();
  /** The fleet aggregate recomputed from the signed reports (after finish()); summary.html is checked against it. */
  aggregate: FleetAggregate | null = null;
  private readonly counts = new Map<string, number>();
  private events = 0;
  private constructor(
    private readonly dir: string,
    private readonly manifest: Manifest,
    private readonly keys: KeyMap,
    private readonly problemRaw: Problem,
    private readonly versions: { createdAt: Date | null; policy: Policy }[],
    private readonly exclusions: Map<string, ExclusionWindow[]>,
    private readonly from: Date,
    private readonly to: Date,
    /** null: an older bundle without group-memberships.csv (groups unknown, policy as written). */
    private readonly memberships: Map<string, GroupWindow[]> | null = null,
    /** The pruned part of the period, verified (digest-check.ts); null when nothing was pruned. */
    private readonly digests: DigestOutcome | null = null,
  ) {}

  /** The device's groups at `at`, whose overrides the collector applied (undefined = unknown). */
  private groupsAt(deviceId: string, at: Date): string[] | undefined {
    if (!this.memberships) return undefined;
    return groupsAt(this.memberships.get(deviceId), at);
  }

  private problem(file: string, message: string): void {
    const n = (this.counts.get(file) ?? 0) + 1;
    this.counts.set(file, n);
    if (n <= MAX_PROBLEMS_PER_FILE) this.problemRaw(file, message);
    else if (n === MAX_PROBLEMS_PER_FILE + 1) this.problemRaw(file, 'more recomputation mismatches not listed');
  }

  /** Load the small inputs (policy, exclusions, events, edges); null when the bundle lacks them (already reported). */
  static async open(dir: string, manifest: Manifest, keys: KeyMap, problem: Problem, digests: DigestOutcome | null = null): Promise<Recompute | null> {
    const from = new Date(manifest.period.from);
    const to = new Date(manifest.period.to);
    let versions: { createdAt: Date | null; policy: Policy }[];
    try {
      const pj = JSON.parse(await readFile(join(dir, 'policy.json'), 'utf8')) as { inForce: { createdAt?: string | null; policy: Policy }[] };
      versions = pj.inForce.map((v) => ({ createdAt: v.createdAt ? new Date(v.createdAt) : null, policy: v.policy }));
      if (!versions.length) throw new Error('no policy in force');
    } catch (e) {
      problem('policy.json', `cannot recompute without the policy in force: ${(e as Error).message}`);
      return null;
    }
    const exclusions = new Map<string, ExclusionWindow[]>();
    const ex = parseCsv(await readFile(join(dir, 'exclusions.csv'), 'utf8'));
    const eh = ex[0] ?? [];
    const ec = (r: string[], n: string) => r[eh.indexOf(n)] ?? '';
    for (const r of ex.slice(1)) {
      const end = [ec(r, 'expires_at'), ec(r, 'revoked_at')].filter(Boolean).map((t) => Date.parse(t));
      const w = { id: ec(r, 'exclusion_id'), checkId: ec(r, 'check_id'), from: new Date(ec(r, 'created_at')), to: new Date(Math.min(...end)) };
      const l = exclusions.get(ec(r, 'device_id')) ?? [];
      l.push(w);
      exclusions.set(ec(r, 'device_id'), l);
    }
    let memberships: Map<string, GroupWindow[]> | null = null;
    const gm = await readFile(join(dir, 'group-memberships.csv'), 'utf8').catch(() => null);
    if (gm !== null) {
      memberships = new Map();
      const rows = parseCsv(gm);
      const gh = rows[0] ?? [];
      const gc = (r: string[], n: string) => r[gh.indexOf(n)] ?? '';
      for (const r of rows.slice(1)) {
        const l = memberships.get(gc(r, 'device_id')) ?? [];
        l.push({ group: gc(r, 'group'), since: Date.parse(gc(r, 'since')), until: gc(r, 'until') ? Date.parse(gc(r, 'until')) : Infinity });
        memberships.set(gc(r, 'device_id'), l);
      }
    }
    const rc = new Recompute(dir, manifest, keys, problem, versions, exclusions, from, to, memberships, digests);
    await rc.loadEdges();
    await rc.loadEvents();
    await rc.markReportRows();
    return rc;
  }

  private policyAt(at: Date): Policy {
    return policyAt(this.versions, at);
  }

  private async loadEdges(): Promise<void> {
    const rl = createInterface({ input: createReadStream(join(this.dir, REPORT_EDGES_FILE)), crlfDelay: Infinity });
    let line = 0;
    for await (const text of rl) {
      line++;
      if (!text) continue;
      const e = JSON.parse(text) as Edge;
      const d: DeviceState = {
        // The edge line is not kept (its two reports' JWS are most of a device's memory here):
        // finish() streams report-edges.jsonl again for the first report after the period.
        states: new Map(), lastChecks: null, platform: 'linux', chain: new DeviceChain(e.deviceId), runs: [], timeline: [], pending: [], lastAt: -Infinity,
      };
      for (const [id, s] of Object.entries(e.start ?? {})) {
        d.states.set(id as CheckId, { state: s.state as CheckState, failingSince: s.failingSince ? new Date(s.failingSince) : null });
        d.timeline.push({ checkId: id, toState: s.state, at: new Date(s.since) });
      }
      this.devices.set(e.deviceId, d);
      if (e.before) {
        const v = await verifyReportLine(e.before, this.keys);
        if (typeof v === 'string') {
          this.problem(REPORT_EDGES_FILE, `line ${line}: last report before the period: ${v}`);
          continue;
        }
        d.chain = new DeviceChain(e.deviceId, link(v.payload, v.jws));
        d.lastChecks = v.payload.checks;
        d.platform = v.payload.inventory.os.platform;
        d.lastAt = Date.parse(v.payload.collectedAt);
        this.addRun(d, d.lastAt);
        // The recorded state at the start must be what the last signed report before the period
        // shows when judged at the start (failing and noncompliant differ only by grace timing).
        const at = this.from;
        const r = stepReevaluate({ policy: this.policyAt(at), platform: d.platform, reported: v.payload.checks, previous: d.states, exclusions: exclusionsAt(this.exclusions.get(e.deviceId) ?? [], at), at, groups: this.groupsAt(e.deviceId, at) });
        for (const [id, s] of d.states) {
          const got = r.next.get(id)?.state;
          if (got && got !== s.state && !(failingish(got) && failingish(s.state)))
            this.problem(REPORT_EDGES_FILE, `line ${line}: device ${e.deviceId} check ${id}: state at the start of the period found ${s.state}, recomputed ${got} from report ${v.payload.reportId} (seq ${v.payload.seq})`);
        }
        for (const [id, c] of d.states) d.states.set(id, { ...c, result: v.payload.checks.find((x) => x.id === id) });
      } else if (this.digests?.byDevice.get(e.deviceId)?.all.some((x) => x.reports > 0)) {
        // The reports before the period's raw part were pruned: the chain continues from the
        // device's last signed digest, and the state each check starts in must be the state
        // that digest recorded at its month's end (unknown there: not checkable, e.g. stale).
        const all = this.digests.byDevice.get(e.deviceId)!.all;
        const last = all[all.length - 1];
        // The chain continues from the last month with reports (silent months have no chain fields).
        const tail = all.filter((x) => x.reports > 0).at(-1)!;
        d.chain = new DeviceChain(e.deviceId, digestTail(tail));
        d.fromDigest = tail.month;
        for (const [id, s] of d.states) {
          const got = last.checks[id]?.stateAtEnd;
          if (got && got !== 'unknown' && got !== s.state && !(failingish(got) && failingish(s.state)))
            this.problem(REPORT_EDGES_FILE, `line ${line}: device ${e.deviceId} check ${id}: state at the start of the period found ${s.state}, the signed digest of ${last.month} ends in ${got}`);
        }
      } else {
        // No report before the period: the chain must start at the device's first report (seq 1).
        d.chain = new DeviceChain(e.deviceId, { reportId: '(enrolment)', seq: 0, hash: '', evicted: 0 });
        if (d.states.size) this.problem(REPORT_EDGES_FILE, `line ${line}: device ${e.deviceId} has states before the period but no signed report before it`);
      }
    }
  }

  private async loadEvents(): Promise<void> {
    const rows = parseCsv(await readFile(join(this.dir, 'events.csv'), 'utf8'));
    const h = rows[0] ?? [];
    const c = (r: string[], n: string) => r[h.indexOf(n)] ?? '';
    for (let i = 1; i < rows.length; i++) {
      const r = rows[i];
      if (c(r, 'check_id') === '*') continue; // the device's overall state: derived for display, not recomputed here
      // "Device has an owner" is derived from the collector's owner record, not from a signed
      // report: listed in events.csv, not recomputable here (shared/src/policy/owner-check.ts).
      if (c(r, 'check_id') === OWNER_CHECK_ID) continue;
      this.events++;
      const d = this.devices.get(c(r, 'device_id'));
      const ev: EventRow = { row: i + 1, at: Date.parse(c(r, 'at')), checkId: c(r, 'check_id'), from: c(r, 'from_state'), to: c(r, 'to_state'), reportId: c(r, 'report_id') };
      if (!d) {
        this.problem('events.csv', `row ${ev.row}: device ${c(r, 'device_id')} is not in devices.csv`);
        continue;
      }
      d.pending.push(ev);
    }
    for (const d of this.devices.values()) d.pending.sort((a, b) => a.at - b.at || a.row - b.row);
  }

  /** Whether markReportRows could tell report rows from re-evaluations (else: the older, time-only order). */
  private processingOrder = false;

  /**
   * Tell the rows a report wrote from those a re-evaluation wrote, by one pass over
   * reports.jsonl (report id and collection time, outside the JWS): the replay then runs each
   * device's re-evaluations and reports in the order the collector ran them (a report at its
   * receivedAt, a re-evaluation at its time), which is what a late report needs: it was judged
   * after the re-evaluations that ran before it arrived, from the state they left.
   */
  private async markReportRows(): Promise<void> {
    const byKey = new Map<string, EventRow[]>();
    for (const d of this.devices.values())
      for (const r of d.pending) {
        const k = `${r.reportId}|${r.at}`;
        byKey.set(k, [...(byKey.get(k) ?? []), r]);
      }
    try {
      const rl = createInterface({ input: createReadStream(join(this.dir, 'reports.jsonl')), crlfDelay: Infinity });
      for await (const text of rl) {
        if (!text) continue;
        // The exporter writes reportId … collectedAt first (server/src/evidence/bundle.ts): read
        // them off the line's start instead of parsing the whole JWS-carrying line; any other
        // layout is parsed in full.
        const m = LINE_HEAD.exec(text);
        const rec = m ? { reportId: m[1], collectedAt: m[2] } : (JSON.parse(text) as { reportId?: string; collectedAt?: string });
        for (const r of byKey.get(`${rec.reportId}|${Date.parse(rec.collectedAt ?? '')}`) ?? []) r.byReport = true;
      }
      this.processingOrder = true;
    } catch {
      // Unreadable lines are reported by the signature pass; replay in time order then.
    }
  }

  private addRun(d: DeviceState, t: number): void {
    const staleMs = this.policyAt(this.to).staleAfterHours * 3_600_000;
    const last = d.runs[d.runs.length - 1];
    if (last && t - last.last.getTime() <= staleMs) last.last = new Date(t);
    else d.runs.push({ first: new Date(t), last: new Date(t) });
  }

  /** Compare recomputed transitions at one moment with the events.csv rows at that moment. */
  private match(deviceId: string, d: DeviceState, at: number, changed: Transition[], rows: EventRow[], cause: string): void {
    const left = [...rows];
    for (const t of changed) {
      const i = left.findIndex((r) => r.checkId === t.checkId);
      if (i < 0) {
        this.problem('events.csv', `missing row: device ${deviceId} check ${t.checkId} at ${new Date(at).toISOString()}: recomputed ${t.from ?? '(none)'} → ${t.to} from ${cause}`);
        continue;
      }
      const [r] = left.splice(i, 1);
      if (r.to !== t.to) this.problem('events.csv', `row ${r.row}, column to_state: found ${r.to}, recomputed ${t.to} (device ${deviceId}, check ${t.checkId}, ${cause})`);
      else if ((r.from || null) !== t.from) this.problem('events.csv', `row ${r.row}, column from_state: found ${r.from || '(none)'}, recomputed ${t.from ?? '(none)'} (device ${deviceId}, check ${t.checkId}, ${cause})`);
    }
    for (const r of left) this.problem('events.csv', `row ${r.row}: device ${deviceId} check ${r.checkId} ${r.from || '(none)'} → ${r.to} at ${new Date(r.at).toISOString()} is not what ${cause} gives (no such change recomputed)`);
    for (const t of changed) d.timeline.push({ checkId: t.checkId, toState: t.to, at: new Date(at) });
  }

  /**
   * Events before `until` that no report explains: re-evaluations (deadline, exclusion, group
   * change), checked as such. With `onlyReevaluations`, rows a report wrote stay for that report
   * (they can lie before `until` when a report arrived late); at the end everything left runs.
   */
  private reevaluations(deviceId: string, d: DeviceState, until: number, onlyReevaluations = false): void {
    for (;;) {
      const next = d.pending.find((r) => r.at < until && !(onlyReevaluations && r.byReport));
      if (!next) return;
      const at = next.at;
      const rows = d.pending.filter((r) => r.at === at && !(onlyReevaluations && r.byReport));
      const taken = new Set(rows);
      d.pending = d.pending.filter((r) => !taken.has(r));
      if (!d.lastChecks) {
        for (const r of rows) this.problem('events.csv', `row ${r.row}: device ${deviceId} check ${r.checkId} changed to ${r.to} at ${new Date(at).toISOString()} before any signed report`);
        continue;
      }
      const when = new Date(at);
      const s = stepReevaluate({ policy: this.policyAt(when), platform: d.platform, reported: d.lastChecks, previous: d.states, exclusions: exclusionsAt(this.exclusions.get(deviceId) ?? [], when), at: when, groups: this.groupsAt(deviceId, when) });
      this.match(deviceId, d, at, s.changed, rows, 're-evaluating the last signed report at that time');
      d.states = s.next;
    }
  }

  /** One verified report from reports.jsonl (file order = time order). */
  report(p: ReportPayload, jws: string, line: number, receivedAt?: number): void {
    const d = this.devices.get(p.deviceId);
    if (!d) {
      this.problem('reports.jsonl', `line ${line}: device ${p.deviceId} is not in devices.csv`);
      return;
    }
    if (!Number.isInteger(p.seq) || !Array.isArray(p.checks) || typeof p.inventory?.os?.platform !== 'string') {
      this.problem('reports.jsonl', `line ${line}: report ${p.reportId}: the signed payload lacks seq, checks or inventory: it cannot be replayed`);
      return;
    }
    const at = Date.parse(p.collectedAt);
    const bad = d.chain.push(link(p, jws));
    if (bad)
      this.problem('reports.jsonl', `line ${line}: device ${p.deviceId}: ${bad}${d.fromDigest ? ` — the chain continues from the signed digest of ${d.fromDigest}: the digest of a later pruned month (before ${this.digests?.rawFrom.toISOString().slice(0, 7)}) is missing, or reports were deleted` : ''}`);
    d.fromDigest = undefined;
    if (this.processingOrder && receivedAt !== undefined && Number.isFinite(receivedAt)) {
      // The re-evaluations the collector ran before this report arrived come first, then the
      // report's own rows (at its collection time).
      this.reevaluations(p.deviceId, d, Math.max(at, receivedAt), true);
    } else this.reevaluations(p.deviceId, d, at);
    const rows = d.pending.filter((r) => r.at === at && (!this.processingOrder || r.byReport));
    const taken = new Set(rows);
    d.pending = d.pending.filter((r) => !taken.has(r));
    d.platform = p.inventory.os.platform;
    this.addRun(d, at);
    if (at < d.lastAt) return; // an older report does not rewind state (as at ingest)
    d.lastAt = at;
    const when = new Date(at);
    const s = stepReport({ policy: this.policyAt(when), platform: d.platform, reported: p.checks, previous: d.states, exclusions: exclusionsAt(this.exclusions.get(p.deviceId) ?? [], when), at: when, groups: this.groupsAt(p.deviceId, when) });
    this.match(p.deviceId, d, at, s.changed, rows, `signed report ${p.reportId} (seq ${p.seq})`);
    d.states = s.next;
    d.lastChecks = p.checks;
  }

  /** Close the chains at the period's end, recompute devices.csv and controls.csv. */
  async finish(): Promise<{ devices: number; events: number; chains: number }> {
    for (const [id, d] of this.devices) this.reevaluations(id, d, this.to.getTime());
    const closed = new Set<string>();
    const rl = createInterface({ input: createReadStream(join(this.dir, REPORT_EDGES_FILE)), crlfDelay: Infinity });
    for await (const text of rl) {
      if (!text) continue;
      const e = JSON.parse(text) as Edge;
      const id = e.deviceId;
      const d = this.devices.get(id);
      if (!d || closed.has(id)) continue; // one line per device (loadEdges kept the last of duplicates the same way)
      closed.add(id);
      if (e.after) {
        const v = await verifyReportLine(e.after, this.keys);
        if (typeof v === 'string') this.problem(REPORT_EDGES_FILE, `device ${id}: first report after the period: ${v}`);
        else {
          const bad = d.chain.push(link(v.payload, v.jws), 'first report after the period');
          if (bad) this.problem(REPORT_EDGES_FILE, `device ${id}: ${bad}`);
        }
      } else if (e.lastSeq !== null && (d.chain.head?.seq ?? 0) < e.lastSeq) {
        this.problem(REPORT_EDGES_FILE, `device ${id}: the collector applied reports up to seq ${e.lastSeq}, but the bundle ends at seq ${d.chain.head?.seq ?? 'none'} with no report after the period: reports are missing (truncated history)`);
      }
    }
    await this.devicesCsv();
    return { devices: this.devices.size, events: this.events, chains: this.devices.size };
  }

  private async devicesCsv(): Promise<void> {
    const rows = parseCsv(await readFile(join(this.dir, 'devices.csv'), 'utf8'));
    const head = rows[0] ?? [];
    const CHECK_IDS = checkIdsAcross(this.versions.map((v) => v.policy));
    const expected = devicesCsvHeader(CHECK_IDS);
    if (head.join(',') !== expected.join(',')) {
      this.problem('devices.csv', `header differs from the expected columns (${expected.slice(DEVICES_CSV_FIRST_DERIVED, DEVICES_CSV_FIRST_DERIVED + 2).join(', ')}, …)`);
      return;
    }
    const col = (r: string[], n: string) => r[head.indexOf(n)] ?? '';
    const policy = this.policyAt(this.to);
    const edges = bucketEdges(this.from, this.to);
    const agg = new FleetAggregate(CHECK_IDS, edges.length - 1, this.from, this.to);
    const seen = new Set<string>();
    for (let i = 1; i < rows.length; i++) {
      const r = rows[i];
      const id = r[0];
      seen.add(id);
      const d = this.devices.get(id);
      if (!d) {
        this.problem('devices.csv', `row ${i + 1}: device ${id} has no entry in ${REPORT_EDGES_FILE}`);
        continue;
      }
      const revoked = col(r, 'revoked_at') ? new Date(col(r, 'revoked_at')) : null;
      const enrolled = new Date(col(r, 'first_seen'));
      const raw = deviceHistory({
        from: this.digests ? new Date(Math.min(Math.max(this.digests.rawFrom.getTime(), this.from.getTime()), this.to.getTime())) : this.from, to: this.to, now: new Date(this.manifest.generatedAt), enrolledAt: enrolled, revokedAt: revoked, staleAfterHours: policy.staleAfterHours,
        checkIds: CHECK_IDS, events: d.timeline, reportRuns: d.runs, exclusions: this.exclusions.get(id) ?? [], bucketEdges: edges,
      });
      // Pruned months: their digests' seconds are added, time-weighted (shared/src/evidence/digest.ts).
      const h = withDigests(raw, this.digests?.byDevice.get(id)?.inPeriod ?? []);
      const figs = deviceFigures(h, revoked, this.to, CHECK_IDS);
      figs.forEach((v, k) => {
        const c = DEVICES_CSV_FIRST_DERIVED + k;
        const want = csvCell(v);
        if ((r[c] ?? '') !== want) this.problem('devices.csv', `row ${i + 1} (device ${id}), column ${head[c]}: found ${r[c] || '(empty)'}, recomputed ${want || '(empty)'}`);
      });
      if (this.memberships) {
        const f = this.from.getTime(), t = this.to.getTime();
        const want = [...new Set((this.memberships.get(id) ?? []).filter((w) => w.since < t && w.until > f).map((w) => w.group))].sort().join(' ');
        if (col(r, 'groups') !== want) this.problem('devices.csv', `row ${i + 1} (device ${id}), column groups: found ${col(r, 'groups') || '(empty)'}, group-memberships.csv gives ${want || '(empty)'}`);
      }
      agg.add({ id, hostname: col(r, 'hostname'), owner: col(r, 'owner') || null, state: String(figs[0]), enrolled_at: enrolled, revoked_at: revoked }, h);
    }
    for (const id of this.devices.keys()) if (!seen.has(id)) this.problem('devices.csv', `device ${id} is in ${REPORT_EDGES_FILE} but has no row`);
    this.aggregate = agg;
    await this.controlsCsv(agg);
  }

  private async controlsCsv(agg: FleetAggregate): Promise<void> {
    const rows = parseCsv(await readFile(join(this.dir, 'controls.csv'), 'utf8'));
    const head = rows[0] ?? [];
    for (let i = 1; i < rows.length; i++) {
      const r = rows[i];
      const id = r[0];
      const t = agg.perCheck.get(id);
      if (!t) {
        this.problem('controls.csv', `row ${i + 1}: unknown check ${id}`);
        continue;
      }
      const want: Record<string, number | null> = {
        pass_rate_pct: agg.checkPct(id), devices_measured: t.devicesMeasured, devices_noncompliant: t.devicesNoncompliant,
        failure_episodes: t.episodes, fixed: t.fixed, mean_hours_to_fix: t.fixed ? Math.round(t.fixSeconds / t.fixed / 36) / 100 : null,
      };
      for (const [name, v] of Object.entries(want)) {
        const c = head.indexOf(name);
        if (c < 0) continue;
        if ((r[c] ?? '') !== csvCell(v)) this.problem('controls.csv', `row ${i + 1} (${id}), column ${name}: found ${r[c] || '(empty)'}, recomputed ${csvCell(v) || '(empty)'}`);
      }
    }
  }
}
