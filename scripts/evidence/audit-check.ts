/**
 * The audit log inside a bundle (audit.csv, format in shared/src/audit/csv.ts):
 *  - every entry's hash is recomputed and every link checked, from the link entry signed in the
 *    manifest (or from seq 1) to the chain head signed in the manifest — a deleted entry leaves a
 *    gap, an edited one a hash mismatch;
 *  - everything the bundle shows that an operator did must be recorded by an entry: each
 *    exclusion (exclusions.csv: its creation, with the same device, check, rationale and expiry,
 *    and its revocation if revoked), each policy version (policy.json history) and each device
 *    revocation (devices.csv revoked_at), each collector key rotation (collector-jwks.json)
 *    during the segment, and each group membership window (group-memberships.csv, matched by
 *    window id with the exact since/until). An entry must be within TIME_TOLERANCE_MS of the time
 *    the bundle gives, since the collector writes both in one transaction.
 * Holds only the entries that record those three kinds (few) besides the file's text.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { AUDIT_MIN_RETENTION_DAYS, AuditChainCheck, type AuditChainHead } from '#shared/audit/chain.js';
import { AUDIT_CSV_FILE, AUDIT_CSV_HEADER, parseAuditCsvRow } from '#shared/audit/csv.js';
import { parseCsv } from '#shared/evidence/csv.js';
import type { Manifest } from '#shared/evidence/manifest.js';

type Problem = (file: string, message: string) => void;

/** Entries checked; facts matched to an entry; facts left unmatched because retention pruned their entries (up to prunedBefore). */
export interface AuditCheckOutcome {
  entries: number;
  matched: number;
  excused: number;
  prunedBefore: string | null;
  /** The earlier bundle's head: found unchanged, or not checkable because this segment starts after it. */
  anchor?: 'found' | 'before this segment';
}
const MAX_PROBLEMS = 50;
/** How far an audit entry's time may be from the time of the change it records. */
export const TIME_TOLERANCE_MS = 60 * 60 * 1000;

interface Rec {
  seq: number;
  at: number;
  target: string | null;
  detail: Record<string, unknown> | null;
}

/** RFC 4180 records of a CSV file, streamed: physical lines are joined while a quoted field is open. */
async function* csvRecords(path: string): AsyncGenerator<string[]> {
  const rl = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let pending = '';
  let quotes = 0;
  for await (const line of rl) {
    pending = pending ? `${pending}\r\n${line}` : line;
    quotes += line.split('"').length - 1;
    if (quotes % 2) continue; // inside a quoted field that spans lines
    if (pending) yield parseCsv(pending)[0] ?? [];
    pending = '';
    quotes = 0;
  }
  if (pending) throw new Error('the last record has an unterminated quoted field');
}

/** A bundle text cell equals a value, allowing the spreadsheet-safety ' prefix (csvCell). */
const sameText = (cell: string, v: unknown) => typeof v === 'string' && (cell === v || (/^[=+\-@\t\r]/.test(v) && cell === `'${v}`));
const near = (a: number, b: number) => Number.isFinite(a) && Number.isFinite(b) && Math.abs(a - b) <= TIME_TOLERANCE_MS;

/**
 * `anchor`: a chain head signed by an earlier bundle (its manifest.audit.head). The chain here
 * must contain it unchanged; that is what exposes the newest entries deleted, or the chain
 * rewritten from some entry on, which one bundle alone cannot show.
 */
export async function checkAuditLog(dir: string, manifest: Manifest, problemRaw: Problem, anchor?: AuditChainHead): Promise<AuditCheckOutcome> {
  const counts = new Map<string, number>();
  const problem = (file: string, message: string) => {
    const n = (counts.get(file) ?? 0) + 1;
    counts.set(file, n);
    if (n <= MAX_PROBLEMS) problemRaw(file, message);
    else if (n === MAX_PROBLEMS + 1) problemRaw(file, 'more audit mismatches not listed');
  };
  const m = manifest.audit;
  if (!m) {
    problem('manifest.json', 'no audit section: the audit chain head is not signed');
    return { entries: 0, matched: 0, excused: 0, prunedBefore: null };
  }
  // Streamed one CSV record at a time: the segment can be long (it reaches back to the oldest
  // entry the bundle relies on); only the entries that record exclusions, policy versions,
  // revocations and key rotations are kept.
  let head: string[] | null = null;
  let chain: AuditChainCheck | null = null;
  let anchored = false;
  let prunedAt = -Infinity;
  let anchorRecorded = false;
  let excused = 0;
  let firstSeq: number | null = null;
  let anchorSeen = null as string | null;
  const byKind = {
    create: new Map<string, Rec>(), revokeExcl: new Map<string, Rec>(), policy: new Map<string, Rec>(), revokeDev: new Map<string, Rec[]>(), keyRotate: new Map<string, Rec>(),
    windowOpen: new Map<string, Rec>(), windowClose: new Map<string, Rec>(),
  };
  let firstAt = Infinity;
  let entries = 0;
  let i = 0;
  try {
    for await (const rec of csvRecords(join(dir, AUDIT_CSV_FILE))) {
      if (head === null) {
        head = rec;
        if (head.join(',') !== AUDIT_CSV_HEADER.join(',')) {
          problem(AUDIT_CSV_FILE, `header differs from ${AUDIT_CSV_HEADER.join(',')}`);
          return { entries: 0, matched: 0, excused: 0, prunedBefore: null };
        }
        continue;
      }
      i++;
      if (!chain) {
        // 1: the chain, from the signed link to the signed head. When the entry before the segment
        // was pruned by retention there is no link row: the chain starts from the signed anchor,
        // which an audit.prune entry in the segment must have recorded.
        anchored = !!m.link && rec[head.indexOf('role')] === 'entry';
        chain = new AuditChainCheck(anchored ? m.link : null);
      }
      checkRow(rec);
    }
  } catch (e) {
    problem(AUDIT_CSV_FILE, `unreadable: ${(e as Error).message}`);
    return { entries: 0, matched: 0, excused: 0, prunedBefore: null };
  }
  function checkRow(fields: string[]): void {
    const p = parseAuditCsvRow(head!, fields);
    if (typeof p === 'string') {
      problem(AUDIT_CSV_FILE, `row ${i + 1}: ${p}`);
      return;
    }
    const e = p.entry;
    if (i === 1 && anchored) {
      if (e.seq !== m.link!.seq + 1) problem(AUDIT_CSV_FILE, `row 2: the segment starts at seq ${e.seq}, but the manifest's link is seq ${m.link!.seq}`);
    } else if (i === 1) {
      if (m.link) {
        if (p.role !== 'link' || e.seq !== m.link.seq || e.hash !== m.link.hash)
          problem(AUDIT_CSV_FILE, `row 2: the first row must be the link entry the manifest signs (seq ${m.link.seq}), found ${p.role} seq ${e.seq}`);
      } else if (e.seq !== 1) problem(AUDIT_CSV_FILE, `row 2: the segment starts at seq ${e.seq} but the manifest signs no link entry before it`);
    } else if (p.role !== 'entry') problem(AUDIT_CSV_FILE, `row ${i + 1}: role ${p.role} where an entry was expected`);
    firstSeq ??= e.seq;
    if (anchor && e.seq === anchor.seq) anchorSeen = e.hash;
    const bad = chain!.push(e);
    if (bad) problem(AUDIT_CSV_FILE, `row ${i + 1}: ${bad}`);
    if (p.role !== 'entry') return;
    entries++;
    firstAt = Math.min(firstAt, Date.parse(e.at));
    if (e.outcome !== 'ok') return;
    if (e.action === 'audit.prune' && e.detail && typeof e.detail === 'object') {
      const pd = e.detail as { throughSeq?: number; anchorHash?: string; throughAt?: string };
      // Only the pruning that removed the entries right before this segment excuses anything: an
      // audit.prune entry elsewhere in the chain says nothing about what this bundle lacks.
      if (anchored && pd.throughSeq === m.link!.seq && pd.anchorHash === m.link!.hash) {
        anchorRecorded = true;
        const through = Date.parse(pd.throughAt ?? '');
        // A pruning may only remove entries older than the minimum retention when it ran.
        if (!(through <= Date.parse(e.at) - AUDIT_MIN_RETENTION_DAYS * 86_400_000))
          problem(AUDIT_CSV_FILE, `row ${i + 1}: audit.prune entry seq ${e.seq} (at ${e.at}) removed entries up to ${pd.throughAt}, less than ${AUDIT_MIN_RETENTION_DAYS} days before it ran: the minimum retention was not kept`);
        else prunedAt = through;
      }
    }
    const rec: Rec = { seq: e.seq, at: Date.parse(e.at), target: e.target, detail: e.detail && typeof e.detail === 'object' ? (e.detail as Record<string, unknown>) : null };
    const xid = typeof rec.detail?.exclusionId === 'string' ? rec.detail.exclusionId : null;
    if (e.action === 'exclusion.create' && xid) byKind.create.set(xid, rec);
    else if (e.action === 'exclusion.revoke' && xid) byKind.revokeExcl.set(xid, rec);
    else if (e.action === 'policy.update' && e.target) byKind.policy.set(e.target, rec);
    else if (e.action === 'device.revoke' && e.target) byKind.revokeDev.set(e.target, [...(byKind.revokeDev.get(e.target) ?? []), rec]);
    else if (e.action === 'collector_key.rotate' && e.target) byKind.keyRotate.set(e.target, rec);
    else if ((e.action === 'group.member.add' || e.action === 'group.member.remove') && typeof rec.detail?.windowId === 'string')
      (e.action === 'group.member.add' ? byKind.windowOpen : byKind.windowClose).set(rec.detail.windowId, rec);
  }
  const last = chain?.head ?? null;
  if ((last?.seq ?? null) !== (m.head?.seq ?? null) || (last?.hash ?? null) !== (m.head?.hash ?? null))
    problem(AUDIT_CSV_FILE, `the chain ends at ${last ? `seq ${last.seq} (${last.hash.slice(0, 16)}…)` : 'no entry'}, but the manifest signs head ${m.head ? `seq ${m.head.seq} (${m.head.hash.slice(0, 16)}…)` : 'none'}: entries were removed or added`);
  if (entries !== m.entries) problem(AUDIT_CSV_FILE, `${entries} entries, manifest says ${m.entries}`);
  if (anchored && !anchorRecorded) problem(AUDIT_CSV_FILE, `the segment starts after seq ${m.link!.seq} without its link row, and no audit.prune entry records pruning through seq ${m.link!.seq} with that hash: entries were removed`);
  let anchorOutcome: AuditCheckOutcome['anchor'];
  if (anchor) {
    if (firstSeq !== null && anchor.seq < firstSeq) anchorOutcome = 'before this segment';
    else if (anchorSeen === null) problem(AUDIT_CSV_FILE, `the earlier bundle's audit head seq ${anchor.seq} is not in this chain (it ends at seq ${last?.seq ?? 'none'}): entries were removed`);
    else if (anchorSeen !== anchor.hash) problem(AUDIT_CSV_FILE, `entry seq ${anchor.seq} has hash ${anchorSeen.slice(0, 16)}…, but the earlier bundle signed ${anchor.hash.slice(0, 16)}…: the chain was rewritten`);
    else anchorOutcome = 'found';
  }
  /** A fact with no entry is excused when retention pruned the log past its time (said in the outcome). */
  const pruned = (t: number) => {
    if (Number.isFinite(t) && t <= prunedAt) {
      excused++;
      return true;
    }
    return false;
  };

  // 2: what the bundle shows is recorded in the audit log.
  let matched = 0;
  const iso = (t: number) => new Date(t).toISOString();
  try {
    const ex = parseCsv(await readFile(join(dir, 'exclusions.csv'), 'utf8'));
    const h = ex[0] ?? [];
    const c = (r: string[], n: string) => r[h.indexOf(n)] ?? '';
    for (let i = 1; i < ex.length; i++) {
      const r = ex[i];
      const id = c(r, 'exclusion_id');
      const what = `row ${i + 1} (exclusion ${id}, device ${c(r, 'device_id')}, check ${c(r, 'check_id')})`;
      const a = byKind.create.get(id);
      if (!a) {
        if (pruned(Date.parse(c(r, 'created_at')))) continue;
        problem('exclusions.csv', `${what}: no audit entry records its creation (exclusion.create): it was not made through the collector`);
        continue;
      }
      const diffs: string[] = [];
      if (a.target !== c(r, 'device_id')) diffs.push(`device ${a.target}`);
      if (a.detail?.checkId !== c(r, 'check_id')) diffs.push(`check ${String(a.detail?.checkId)}`);
      if (!sameText(c(r, 'rationale'), a.detail?.rationale)) diffs.push(`rationale ${JSON.stringify(a.detail?.rationale)}`);
      if (Date.parse(String(a.detail?.expiresAt)) !== Date.parse(c(r, 'expires_at'))) diffs.push(`expires_at ${String(a.detail?.expiresAt)}`);
      if (!near(a.at, Date.parse(c(r, 'created_at')))) diffs.push(`time ${iso(a.at)} (created_at ${c(r, 'created_at')})`);
      if (diffs.length) problem('exclusions.csv', `${what}: differs from its audit entry seq ${a.seq}, which says ${diffs.join(', ')}`);
      else matched++;
      if (c(r, 'revoked_at')) {
        const rv = byKind.revokeExcl.get(id);
        if (!rv) {
          if (!pruned(Date.parse(c(r, 'revoked_at')))) problem('exclusions.csv', `${what}: revoked_at ${c(r, 'revoked_at')}, but no audit entry records the revocation (exclusion.revoke)`);
        } else if (!near(rv.at, Date.parse(c(r, 'revoked_at')))) problem('exclusions.csv', `${what}: revoked_at ${c(r, 'revoked_at')}, but its audit entry seq ${rv.seq} is at ${iso(rv.at)}`);
        else matched++;
      }
    }
  } catch (e) {
    problem('exclusions.csv', `unreadable: ${(e as Error).message}`);
  }
  try {
    const pj = JSON.parse(await readFile(join(dir, 'policy.json'), 'utf8')) as { history?: { id: number | string; createdAt: string | null; source?: string }[] };
    for (const v of pj.history ?? []) {
      const a = byKind.policy.get(`policy:${v.id}`);
      if (!a) {
        if (!pruned(Date.parse(v.createdAt ?? ''))) problem('policy.json', `history version ${v.id} (${v.createdAt}): no audit entry records it (policy.update target policy:${v.id})`);
      } else if (!near(a.at, Date.parse(v.createdAt ?? ''))) problem('policy.json', `history version ${v.id}: created ${v.createdAt}, but its audit entry seq ${a.seq} is at ${iso(a.at)}`);
      else if (v.source !== undefined && a.detail?.source !== undefined && a.detail.source !== v.source) problem('policy.json', `history version ${v.id}: source ${v.source}, its audit entry seq ${a.seq} says ${String(a.detail.source)}`);
      else matched++;
    }
  } catch (e) {
    problem('policy.json', `unreadable: ${(e as Error).message}`);
  }
  try {
    const dv = parseCsv(await readFile(join(dir, 'devices.csv'), 'utf8'));
    const h = dv[0] ?? [];
    const col = h.indexOf('revoked_at');
    for (let i = 1; i < dv.length; i++) {
      const at = dv[i][col] ?? '';
      if (!at) continue;
      const id = dv[i][0];
      const recs = byKind.revokeDev.get(id) ?? [];
      if (!recs.length) {
        if (!pruned(Date.parse(at))) problem('devices.csv', `row ${i + 1} (device ${id}): revoked_at ${at}, but no audit entry records the revocation (device.revoke)`);
      } else if (!recs.some((x) => near(x.at, Date.parse(at)))) problem('devices.csv', `row ${i + 1} (device ${id}): revoked_at ${at}, but its audit entries (seq ${recs.map((x) => x.seq).join(', ')}) are at other times`);
      else matched++;
    }
  } catch (e) {
    problem('devices.csv', `unreadable: ${(e as Error).message}`);
  }
  // Each collector key that took over by rotation while this chain segment was being written
  // must be recorded by its collector_key.rotate entry (the first key of a store has none).
  try {
    const jw = JSON.parse(await readFile(join(dir, 'collector-jwks.json'), 'utf8')) as { keys?: { kid?: string; validFrom?: string }[] };
    (jw.keys ?? []).forEach((k, i) => {
      const from = Date.parse(k.validFrom ?? '');
      if (i === 0 || !k.kid || !(from >= firstAt)) return;
      const a = byKind.keyRotate.get(k.kid);
      if (!a) problem('collector-jwks.json', `key ${i + 1} (${k.kid}), valid from ${k.validFrom}: no audit entry records the rotation to it (collector_key.rotate)`);
      else if (!near(a.at, from)) problem('collector-jwks.json', `key ${i + 1} (${k.kid}): valid from ${k.validFrom}, but its rotation entry seq ${a.seq} is at ${iso(a.at)}`);
      else matched++;
    });
  } catch (e) {
    problem('collector-jwks.json', `unreadable: ${(e as Error).message}`);
  }
  // Each group membership window (group-memberships.csv) against the entries that opened and
  // closed it, exactly: the verifier replays reports under these windows, so one moved or
  // stretched in the database would change which group policy a report is judged by.
  try {
    const gm = await readFile(join(dir, 'group-memberships.csv'), 'utf8').catch(() => null);
    const rows = gm === null ? [] : parseCsv(gm);
    const h = rows[0] ?? [];
    const c = (r: string[], n: string) => r[h.indexOf(n)] ?? '';
    // Bundles from before windows were audited have no window_id column: nothing to match.
    if (h.includes('window_id')) {
      const seen = new Set<string>();
      const devices = new Set(parseCsv(await readFile(join(dir, 'devices.csv'), 'utf8')).slice(1).map((r) => r[0]));
      for (let i = 1; i < rows.length; i++) {
        const r = rows[i];
        const id = c(r, 'window_id');
        seen.add(id);
        const what = `row ${i + 1} (window ${id}, device ${c(r, 'device_id')}, group ${c(r, 'group')})`;
        const open = byKind.windowOpen.get(id);
        if (!open) {
          if (!pruned(Date.parse(c(r, 'since')))) problem('group-memberships.csv', `${what}: no audit entry records its opening (group.member.add with windowId ${id}): it was not made through the collector`);
        } else {
          const diffs: string[] = [];
          if (open.target !== c(r, 'device_id')) diffs.push(`device ${open.target}`);
          if (open.detail?.group !== c(r, 'group')) diffs.push(`group ${String(open.detail?.group)}`);
          if (open.detail?.source !== c(r, 'source')) diffs.push(`source ${String(open.detail?.source)}`);
          if (Date.parse(String(open.detail?.since)) !== Date.parse(c(r, 'since'))) diffs.push(`since ${String(open.detail?.since)} (the file says ${c(r, 'since')})`);
          if (diffs.length) problem('group-memberships.csv', `${what}: differs from its audit entry seq ${open.seq}, which says ${diffs.join(', ')}`);
          else matched++;
        }
        const close = byKind.windowClose.get(id);
        const until = c(r, 'until');
        if (until && !close) {
          if (!pruned(Date.parse(until))) problem('group-memberships.csv', `${what}: until ${until}, but no audit entry records the window's closing (group.member.remove with windowId ${id})`);
        } else if (!until && close) problem('group-memberships.csv', `${what}: open (no until), but its audit entry seq ${close.seq} closed it at ${String(close.detail?.until)}`);
        else if (until && close) {
          if (Date.parse(String(close.detail?.until)) !== Date.parse(until)) problem('group-memberships.csv', `${what}: until ${until}, but its audit entry seq ${close.seq} closed it at ${String(close.detail?.until)}`);
          else matched++;
        }
      }
      // A window the audit log opened for a device of this bundle, before the period's end, that
      // the file does not have: deleted from the database.
      const to = Date.parse(manifest.period.to);
      for (const [id, open] of byKind.windowOpen)
        if (!seen.has(id) && open.target && devices.has(open.target) && Date.parse(String(open.detail?.since)) < to)
          problem('group-memberships.csv', `no row for window ${id} (device ${open.target}, group ${String(open.detail?.group)}, since ${String(open.detail?.since)}), which audit entry seq ${open.seq} opened: it was removed`);
    }
  } catch (e) {
    problem('group-memberships.csv', `unreadable: ${(e as Error).message}`);
  }
  return { entries, matched, excused, prunedBefore: Number.isFinite(prunedAt) ? iso(prunedAt) : null, ...(anchorOutcome ? { anchor: anchorOutcome } : {}) };
}
