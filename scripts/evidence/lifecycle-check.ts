/**
 * device-lifecycle.csv (shared/src/evidence/lifecycle.ts) checked against the rest of the bundle:
 *  - every row's device has a row in devices.csv with the same hostname;
 *  - a deleted device is revoked in devices.csv, no later than its deletion (deleting revokes);
 *  - every archive and deletion that falls inside the audit chain segment of audit.csv is
 *    recorded by its `device.archive` / `device.delete` entry (same device, within the audit
 *    check's time tolerance, same reason). One older than the segment cannot be matched here
 *    and is counted as such (the chain itself is checked by audit-check.ts).
 * Small inputs: devices.csv is read for the lifecycle rows' ids only; audit.csv keeps only its
 * device.archive / device.delete entries.
 */
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { AUDIT_CSV_FILE, AUDIT_CSV_HEADER, parseAuditCsvRow } from '#shared/audit/csv.js';
import { parseCsv } from '#shared/evidence/csv.js';
import { DEVICE_LIFECYCLE_FILE, DEVICE_LIFECYCLE_HEADER } from '#shared/evidence/lifecycle.js';
import { TIME_TOLERANCE_MS } from './audit-check.js';

type Problem = (file: string, message: string) => void;

export interface LifecycleOutcome {
  archived: number;
  deleted: number;
  /** Archives/deletions matched to their audit entry; older than the audit segment (not matchable). */
  matched: number;
  beforeSegment: number;
}

/** A bundle text cell equals a value, allowing the spreadsheet-safety ' prefix (csvCell). */
const sameText = (cell: string, v: unknown) => typeof v === 'string' && (cell === v || (/^[=+\-@\t\r]/.test(v) && cell === `'${v}`));

/** Returns null when the bundle has no device-lifecycle.csv (exported before it existed; the manifest check names a missing listed file). */
export async function checkDeviceLifecycle(dir: string, problem: Problem): Promise<LifecycleOutcome | null> {
  const text = await readFile(join(dir, DEVICE_LIFECYCLE_FILE), 'utf8').catch(() => null);
  if (text === null) return null;
  const rows = parseCsv(text);
  const head = rows[0] ?? [];
  if (head.join(',') !== DEVICE_LIFECYCLE_HEADER.join(',')) {
    problem(DEVICE_LIFECYCLE_FILE, `header differs from ${DEVICE_LIFECYCLE_HEADER.join(',')}`);
    return null;
  }
  const col = (r: string[], n: (typeof DEVICE_LIFECYCLE_HEADER)[number]) => r[head.indexOf(n)] ?? '';
  const want = new Map<string, { row: number; r: string[] }>();
  for (let i = 1; i < rows.length; i++) want.set(col(rows[i], 'device_id'), { row: i + 1, r: rows[i] });
  const out: LifecycleOutcome = { archived: 0, deleted: 0, matched: 0, beforeSegment: 0 };
  if (!want.size) return out;

  // devices.csv: hostname and revoked_at of the devices named here.
  const devices = new Map<string, { hostname: string; revokedAt: string }>();
  const dv = createInterface({ input: createReadStream(join(dir, 'devices.csv'), 'utf8'), crlfDelay: Infinity });
  let dh: string[] | null = null;
  for await (const line of dv) {
    // Device ids never contain quotes or commas; only rows that start with a wanted id are parsed.
    const id = line.replace(/^\uFEFF/, '').split(',', 1)[0];
    if (dh === null) {
      dh = parseCsv(line.replace(/^\uFEFF/, ''))[0] ?? [];
      continue;
    }
    if (!want.has(id)) continue;
    const r = parseCsv(line)[0] ?? [];
    devices.set(id, { hostname: r[dh.indexOf('hostname')] ?? '', revokedAt: r[dh.indexOf('revoked_at')] ?? '' });
  }

  // audit.csv: the device.archive / device.delete entries, and where the segment starts.
  const entries = new Map<string, { at: number; reason: unknown }[]>();
  let segmentStart = Infinity;
  const at = parseCsv(await readFile(join(dir, AUDIT_CSV_FILE), 'utf8').catch(() => ''));
  const ah = at[0] ?? [];
  if (ah.join(',') === AUDIT_CSV_HEADER.join(',')) {
    for (const r of at.slice(1)) {
      const p = parseAuditCsvRow(ah, r);
      if (typeof p === 'string') continue; // named by audit-check.ts
      const t = Date.parse(p.entry.at);
      if (p.role === 'entry') segmentStart = Math.min(segmentStart, t);
      if (p.entry.action !== 'device.archive' && p.entry.action !== 'device.delete') continue;
      const k = `${p.entry.action}\0${p.entry.target}`;
      const l = entries.get(k) ?? [];
      l.push({ at: t, reason: (p.entry.detail as { reason?: unknown } | null)?.reason });
      entries.set(k, l);
    }
  }

  const match = (row: number, id: string, action: 'device.archive' | 'device.delete', when: string, reason: string, what: string) => {
    const t = Date.parse(when);
    if (!Number.isFinite(t)) return problem(DEVICE_LIFECYCLE_FILE, `row ${row} (device ${id}): ${what}_at ${JSON.stringify(when)} is not a time`);
    if (t < segmentStart) return void out.beforeSegment++;
    // The nearest entry in time (a device can be archived several times within the tolerance).
    const near = (entries.get(`${action}\0${id}`) ?? []).filter((x) => Math.abs(x.at - t) <= TIME_TOLERANCE_MS).sort((a, b) => Math.abs(a.at - t) - Math.abs(b.at - t));
    const e = near[0];
    if (!e) return problem(DEVICE_LIFECYCLE_FILE, `row ${row} (device ${id}): ${what} at ${when} has no ${action} entry in ${AUDIT_CSV_FILE}`);
    if (!sameText(reason, e.reason)) return problem(DEVICE_LIFECYCLE_FILE, `row ${row} (device ${id}), column ${what === 'archived' ? 'archive' : 'delete'}_reason: found ${JSON.stringify(reason)}, the ${action} entry says ${JSON.stringify(e.reason)}`);
    out.matched++;
  };

  for (const [id, { row, r }] of want) {
    const d = devices.get(id);
    if (!d) {
      problem(DEVICE_LIFECYCLE_FILE, `row ${row}: device ${id} has no row in devices.csv`);
      continue;
    }
    if (d.hostname !== col(r, 'hostname')) problem(DEVICE_LIFECYCLE_FILE, `row ${row} (device ${id}), column hostname: found ${col(r, 'hostname')}, devices.csv says ${d.hostname}`);
    if (col(r, 'archived_at')) {
      out.archived++;
      match(row, id, 'device.archive', col(r, 'archived_at'), col(r, 'archive_reason'), 'archived');
    }
    if (col(r, 'deleted_at')) {
      out.deleted++;
      if (!d.revokedAt || Date.parse(d.revokedAt) > Date.parse(col(r, 'deleted_at')))
        problem(DEVICE_LIFECYCLE_FILE, `row ${row} (device ${id}): deleted at ${col(r, 'deleted_at')} but devices.csv shows it ${d.revokedAt ? `revoked only at ${d.revokedAt}` : 'not revoked'}`);
      match(row, id, 'device.delete', col(r, 'deleted_at'), col(r, 'delete_reason'), 'deleted');
    }
    if (!col(r, 'archived_at') && !col(r, 'deleted_at')) problem(DEVICE_LIFECYCLE_FILE, `row ${row} (device ${id}): neither archived nor deleted`);
  }
  return out;
}
