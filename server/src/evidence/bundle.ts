/**
 * Build an evidence bundle for [from, to) into a directory: every file written while hashed,
 * fleet totals folded one device page at a time, then manifest.json signed by the collector
 * key (manifest.jws). See shared/src/evidence/manifest.ts for the format.
 */
import { CompactSign } from 'jose';
import { checkControls, checkIdsAcross, checkTitle, customCheckOf, latestDeclaring } from '#shared/checks/catalogue.js';
import { CSV_BOM, csvRow } from '#shared/evidence/csv.js';
import { devicesCsvHeader, deviceFigures } from '#shared/evidence/figures.js';
import { deviceHistory } from '#shared/evidence/history.js';
import { bucketEdges } from '#shared/evidence/period.js';
import {
  BUNDLE_FILES, COLLECTOR_JWKS_FILE, COUNTING_METHOD, REPORT_EDGES_FILE, MANIFEST_FILE, MANIFEST_FORMAT, MANIFEST_JWS_FILE, MANIFEST_JWS_TYP,
  type Manifest, type ManifestFile,
} from '#shared/evidence/manifest.js';
import type { Policy } from '#shared/policy/schema.js';
import type { Db } from '../db/types.js';
import type { CollectorIdentity } from '../meta/collector-identity.js';
import { FleetAggregate } from './aggregate.js';
import { devicePage, edgesFor, eventPage, exclusionPage, historyInputs, keysByKid, policyVersionsUntil, reportPage, type EdgeReport, type PolicyRow, type TimeCursor } from './dal.js';
import { HashedFile, writeWhole } from './files.js';
import { renderSummary } from './summary.js';
import { writePeopleCsv } from './people-csv.js';
import { groupsInPeriod, writeGroupMemberships } from './groups-csv.js';
import { writeAuditCsv, type AuditRefs } from './audit-file.js';
import { writeDeviceLifecycle } from './lifecycle-csv.js';
import { currentSigningKey, historyJwks, keyHistory } from '../meta/collector-keys.js';
import { digestsFor, prunedBefore } from './digests-file.js';
import { DIGESTS_FILE, withDigests } from '#shared/evidence/digest.js';

export interface BundleDeps {
  db: Db;
  identity: CollectorIdentity;
  /** The policy in force now, used when no version was recorded before the period ended. */
  currentPolicy: Policy;
  version: string;
}

export interface BuiltBundle {
  manifest: Manifest;
  /** Every file in tar order, manifest pair last. */
  files: string[];
  /** Milliseconds per phase (recorded in the audit log; the benchmark prints them). */
  timings: Record<string, number>;
}

const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);

/** The versions in force at some point of [from, to): the one in force at `from` and every later one. */
export function versionsInForce(all: PolicyRow[], from: Date): PolicyRow[] {
  let start = 0;
  for (let i = 0; i < all.length; i++) if (new Date(all[i].created_at) <= from) start = i;
  return all.slice(start);
}

/** `group`: a one-group bundle (devices that were in that group at some point of the period). */
export async function buildBundle(deps: BundleDeps, from: Date, to: Date, dir: string, now = new Date(), signal?: AbortSignal, group: string | null = null): Promise<BuiltBundle> {
  const { db } = deps;
  const files: ManifestFile[] = [];
  const versions = await policyVersionsUntil(db, to);
  const policy = versions.length ? versions[versions.length - 1].policy : deps.currentPolicy;
  const stale = policy.staleAfterHours;
  const edges = bucketEdges(from, to);
  // What the bundle shows that an audit entry must record (audit.csv carries those entries).
  const refs: AuditRefs = { exclusionIds: new Set(), policyVersionIds: new Set(versions.map((v) => String(v.id))), revokedDeviceIds: new Set(), membershipWindowIds: new Set() };
  // Columns: built-ins plus every custom check of any policy version in force in the period.
  const periodPolicies = versions.length ? versionsInForce(versions, from).map((v) => v.policy) : [policy];
  const CHECK_IDS = checkIdsAcross(periodPolicies);
  const agg = new FleetAggregate(CHECK_IDS, edges.length - 1, from, to);
  const timings: Record<string, number> = {};
  let mark = Date.now();
  const phase = (name: string) => {
    const t = Date.now();
    timings[name] = t - mark;
    mark = t;
  };

  // Retention pruned the months before `rawFrom`: their figures come from signed digests.
  const pruned = await prunedBefore(db);
  const rawFrom = pruned && pruned > from ? (pruned < to ? pruned : to) : null;
  const dgf = rawFrom ? new HashedFile(dir, DIGESTS_FILE) : null;
  let deviceMonths = 0;

  // devices.csv — one row per device, one status and one % column per check (filterable).
  const dev = new HashedFile(dir, 'devices.csv');
  await dev.write(CSV_BOM + csvRow(devicesCsvHeader(CHECK_IDS)));
  // report-edges.jsonl — per device, what proves the period's edges: the last report before it
  // and the first after it (or none yet, with the device's last sequence number the collector
  // applied), and each check's state when the period began. Device keys of edge reports ship too.
  const edf = new HashedFile(dir, REPORT_EDGES_FILE);
  const kids = new Set<string>();
  const edgeLine = (r: EdgeReport | undefined) => {
    if (!r) return null;
    kids.add(r.kid);
    return { reportId: r.report_id, deviceId: r.device_id, kid: r.kid, collectedAt: iso(r.collected_at), receivedAt: iso(r.received_at), jws: r.jws };
  };
  for (let after = ''; ; ) {
    signal?.throwIfAborted();
    const page = await devicePage(db, from, to, after, undefined, group);
    if (!page.length) break;
    after = page[page.length - 1].id;
    // With a pruned part, the raw history (and the state it starts in) begins at rawFrom.
    const inputs = await historyInputs(db, page.map((d) => d.id), rawFrom ?? from, to, stale);
    const edgeRows = await edgesFor(db, page.map((d) => d.id), rawFrom ?? from, to);
    const groupsOf = await groupsInPeriod(db, page.map((d) => d.id), from, to);
    const dg = rawFrom ? await digestsFor(db, page.map((d) => d.id), from, rawFrom) : null;
    if (dg && dgf) {
      await dgf.write(dg.lines.map((l) => JSON.stringify(l) + '\n').join(''));
      deviceMonths += dg.lines.filter((l) => !l.edge).length;
    }
    let edgeChunk = '';
    for (const d of page) {
      edgeChunk += JSON.stringify({
        deviceId: d.id, before: edgeLine(edgeRows.before.get(d.id)), after: edgeLine(edgeRows.after.get(d.id)),
        lastSeq: edgeRows.lastSeq.get(d.id) ?? null, start: edgeRows.start.get(d.id) ?? {},
      }) + '\n';
    }
    await edf.write(edgeChunk);
    // One write per page: thousands of small awaited writes cost more than the CSV itself.
    let chunk = '';
    for (const d of page) {
      if (d.revoked_at) refs.revokedDeviceIds.add(d.id);
      const raw = deviceHistory({
        from: rawFrom ?? from, to, now, enrolledAt: new Date(d.enrolled_at), revokedAt: d.revoked_at ? new Date(d.revoked_at) : null, staleAfterHours: stale,
        checkIds: CHECK_IDS, events: inputs.events.get(d.id) ?? [], reportRuns: inputs.runs.get(d.id) ?? [], exclusions: inputs.exclusions.get(d.id) ?? [],
        bucketEdges: edges,
      });
      const h = withDigests(raw, dg?.inPeriod.get(d.id) ?? []);
      const figs = deviceFigures(h, d.revoked_at ? new Date(d.revoked_at) : null, to, CHECK_IDS);
      agg.add({ ...d, state: String(figs[0]) }, h);
      chunk += csvRow([
        d.id, d.hostname, d.serial, d.model, d.platform, [d.os_name, d.os_version].filter(Boolean).join(' '), d.owner,
        iso(d.enrolled_at), iso(d.last_report_at ?? d.last_seen_at), iso(d.revoked_at), ...figs, (groupsOf.get(d.id) ?? []).join(' '),
      ]);
    }
    await dev.write(chunk);
  }
  files.push(await dev.close());
  // device-lifecycle.csv: which of these devices are archived or deleted (when, by whom, why).
  files.push(await writeDeviceLifecycle(db, dir, from, to, group));
  files.push(await edf.close());
  if (dgf) files.push(await dgf.close());
  phase('devices');

  // events.csv — every state change in the period (check "*" = the device's overall state).
  const evf = new HashedFile(dir, 'events.csv');
  await evf.write(CSV_BOM + csvRow(['event_id', 'at', 'device_id', 'hostname', 'check_id', 'from_state', 'to_state', 'report_id', 'reasons']));
  let events = 0;
  for (let after: TimeCursor | null = null; ; ) {
    signal?.throwIfAborted();
    const page = await eventPage(db, rawFrom ?? from, to, after, undefined, group);
    if (!page.length) break;
    const last = page[page.length - 1];
    after = { at: last.at_key, id: last.id };
    events += page.length;
    await evf.write(page.map((e) => csvRow([Number(e.id), iso(e.at), e.device_id, e.hostname, e.check_id, e.from_state, e.to_state, e.report_id, (e.detail?.reasons ?? []).join('; ')])).join(''));
  }
  files.push(await evf.close());
  phase('events');

  const exf = new HashedFile(dir, 'exclusions.csv');
  await exf.write(CSV_BOM + csvRow(['exclusion_id', 'device_id', 'hostname', 'check_id', 'rationale', 'approved_by', 'created_at', 'expires_at', 'revoked_at', 'revoked_by']));
  let exclusions = 0;
  for (let after = ''; ; ) {
    const page = await exclusionPage(db, from, to, after, undefined, group);
    if (!page.length) break;
    after = page[page.length - 1].id;
    exclusions += page.length;
    for (const x of page) refs.exclusionIds.add(x.id);
    await exf.write(page.map((x) => csvRow([x.id, x.device_id, x.hostname, x.check_id, x.rationale, x.approved_by, iso(x.created_at), iso(x.expires_at), iso(x.revoked_at), x.revoked_by])).join(''));
  }
  files.push(await exf.close());
  files.push(await writePeopleCsv(db, dir, to)); // people.csv: leavers and their devices' outcome
  files.push(await writeGroupMemberships(db, dir, from, to, group, refs.membershipWindowIds)); // the groups each report is replayed under
  const auditOut = await writeAuditCsv(db, dir, from, to, refs);
  files.push(auditOut.file);
  phase('audit');

  // reports.jsonl — the device-signed JWS exactly as received; the kids used are remembered
  // (one short string per device key) to ship their public keys.
  const rpf = new HashedFile(dir, 'reports.jsonl');
  let reports = 0;
  for (let after: TimeCursor | null = null; ; ) {
    signal?.throwIfAborted();
    const page = await reportPage(db, rawFrom ?? from, to, after, undefined, group); // the pruned part is in digests.jsonl
    if (!page.length) break;
    const last = page[page.length - 1];
    after = { at: last.at_key, id: last.report_id };
    reports += page.length;
    let chunk = '';
    for (const r of page) {
      kids.add(r.kid);
      chunk += JSON.stringify({ reportId: r.report_id, deviceId: r.device_id, seq: Number(r.seq), kid: r.kid, collectedAt: iso(r.collected_at), receivedAt: iso(r.received_at), jws: r.jws }) + '\n';
    }
    await rpf.write(chunk);
  }
  files.push(await rpf.close());
  phase('reports');

  const kf = new HashedFile(dir, 'device-keys.json');
  await kf.write('{"keys":[');
  const kidList = [...kids].sort();
  let first = true;
  for (let i = 0; i < kidList.length; i += 1000) {
    for (const k of await keysByKid(db, kidList.slice(i, i + 1000))) {
      const entry = { kid: k.kid, deviceId: k.device_id, createdAt: iso(k.created_at), retiredAt: iso(k.retired_at), revokedAt: iso(k.revoked_at), publicJwk: k.public_jwk };
      await kf.write((first ? '\n' : ',\n') + JSON.stringify(entry));
      first = false;
    }
  }
  await kf.write('\n]}\n');
  files.push(await kf.close());
  phase('deviceKeys');

  const inForce = versionsInForce(versions, from);
  const meta = (v: PolicyRow) => ({ id: v.id, createdAt: iso(v.created_at), createdBy: v.created_by, source: v.source, comment: v.comment });
  files.push(await writeWhole(dir, 'policy.json', JSON.stringify({
    period: { from: iso(from), to: iso(to) },
    note: versions.length ? 'inForce: every version in force during the period, with the policy; history: every change recorded before the period ended.' : 'No policy version was recorded before the period ended; the current policy is shown.',
    inForce: versions.length ? inForce.map((v) => ({ ...meta(v), policy: v.policy })) : [{ id: null, policy }],
    history: versions.map(meta),
  }, null, 2) + '\n'));

  const cf = new HashedFile(dir, 'controls.csv');
  await cf.write(CSV_BOM + csvRow(['check_id', 'check', 'soc2', 'cis_v8', 'iso27001', 'required', 'pass_rate_pct', 'devices_measured', 'devices_noncompliant', 'failure_episodes', 'fixed', 'mean_hours_to_fix']));
  for (const id of CHECK_IDS) {
    const decl = latestDeclaring(periodPolicies, id) ?? policy;
    const ctl = checkControls(decl, id);
    const required = (customCheckOf(decl, id) ?? decl.checks[id as keyof typeof decl.checks])?.required !== false;
    const t = agg.perCheck.get(id)!;
    await cf.write(csvRow([id, checkTitle(id, decl), ctl.soc2.join(' '), ctl.cis.join(' '), ctl.iso27001.join(' '),
      required, agg.checkPct(id), t.devicesMeasured, t.devicesNoncompliant, t.episodes, t.fixed, t.fixed ? Math.round(t.fixSeconds / t.fixed / 36) / 100 : null]));
  }
  files.push(await cf.close());

  // The key in force now signs (read from the store: another collector may have rotated it).
  const signing = await currentSigningKey(db);
  files.push(await writeWhole(dir, 'summary.html', renderSummary({
    agg, edges, policy, from, to, generatedAt: now, collectorId: deps.identity.collectorId, kid: signing.kid, version: deps.version,
    counts: { events, reports, exclusions },
  })));
  // The whole key history ships, each key with its validity.
  files.push(await writeWhole(dir, COLLECTOR_JWKS_FILE, JSON.stringify(historyJwks(await keyHistory(db)), null, 2) + '\n'));

  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    period: { from: from.toISOString(), to: to.toISOString() },
    generatedAt: now.toISOString(),
    generator: { name: 'posture', version: deps.version },
    collector: { id: deps.identity.collectorId, kid: signing.kid },
    method: COUNTING_METHOD,
    counts: { devices: agg.devices, events, exclusions, reports, deviceKeys: kidList.length },
    ...(group ? { scope: { group } } : {}),
    audit: auditOut.audit,
    ...(rawFrom ? { digests: { file: DIGESTS_FILE, rawFrom: rawFrom.toISOString(), deviceMonths } } : {}),
    files,
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 2) + '\n', 'utf8');
  await writeWhole(dir, MANIFEST_FILE, manifestBytes.toString('utf8'));
  const jws = await new CompactSign(manifestBytes).setProtectedHeader({ alg: 'EdDSA', kid: signing.kid, typ: MANIFEST_JWS_TYP }).sign(signing.key);
  await writeWhole(dir, MANIFEST_JWS_FILE, jws + '\n');
  phase('rest');
  return { manifest, files: [...BUNDLE_FILES, ...(dgf ? [DIGESTS_FILE] : []), MANIFEST_FILE, MANIFEST_JWS_FILE], timings };
}
