/**
 * One-time audit entries for the group membership windows that existed before windows were
 * audited (migration 120): for each, in id order, a `group.member.add` (and a
 * `group.member.remove` if it is closed) with its windowId and exact since/until, marked
 * `sealedByMigration`. From then on the verifier can match every row of group-memberships.csv.
 * What it cannot show: a window edited before this migration ran (the entry records the row as
 * it was found). Uses audit() itself (audit/log.ts depends only on shared/ and db/types), so
 * the entries chain exactly like any other.
 */
import type { Queryable } from './types.js';
import { audit } from '../audit/log.js';

const PAGE = 2000;

export async function sealGroupWindows(q: Queryable): Promise<number> {
  let n = 0;
  for (let after = 0; ; ) {
    const page = await q.query<{ id: string; device_id: string; group_name: string; source: string; since: Date; until: Date | null }>(
      'SELECT id::text AS id, device_id, group_name, source, since, until FROM device_group_members WHERE id > $1 ORDER BY id LIMIT $2',
      [after, PAGE],
    );
    if (!page.rows.length) return n;
    for (const w of page.rows) {
      const base = { group: w.group_name, windowId: w.id, source: w.source, since: new Date(w.since).toISOString(), sealedByMigration: '120' };
      await audit(q, { actor: 'system:migration', action: 'group.member.add', target: w.device_id, detail: base });
      if (w.until) await audit(q, { actor: 'system:migration', action: 'group.member.remove', target: w.device_id, detail: { ...base, until: new Date(w.until).toISOString() } });
      n++;
    }
    after = Number(page.rows[page.rows.length - 1].id);
  }
}
