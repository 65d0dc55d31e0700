/** SCIM Groups ↔ idp_groups (+ members). Membership feeds device group rules ("owner's IdP group"). */
import type { Queryable } from '../db/types.js';
import { audit } from '../audit/log.js';
import { newId } from '../shared/crypto.js';
import { GROUP_SCHEMA } from './discovery.js';
import { ScimHttpError } from './errors.js';
import { compileScimFilter, type SqlAttrs } from './filter.js';

interface GroupRow {
  id: string;
  display_name: string;
  external_id: string | null;
  created_at: Date;
  updated_at: Date;
  version: string | number;
}
export interface ScimGroup {
  schemas: string[];
  id: string;
  externalId?: string;
  displayName: string;
  members?: { value: string; display?: string; $ref: string }[];
  meta: { resourceType: 'Group'; created: string; lastModified: string; location: string; version: string };
}

const GROUP_SQL: SqlAttrs = {
  id: { sql: 'g.id', ci: false },
  displayname: { sql: 'g.display_name', ci: true },
  externalid: { sql: 'g.external_id', ci: false },
};
const MAX_MEMBERS = 50_000;

async function toScimGroups(q: Queryable, rows: GroupRow[], base: string, withMembers: boolean): Promise<ScimGroup[]> {
  const members = withMembers && rows.length
    ? await q.query<{ group_id: string; person_id: string; email: string; display_name: string | null }>(
        `SELECT m.group_id, m.person_id, p.email, p.display_name FROM idp_group_members m JOIN people p ON p.id = m.person_id
          WHERE m.group_id IN (SELECT jsonb_array_elements_text($1::jsonb)) AND p.deleted_at IS NULL ORDER BY lower(p.email)`,
        [JSON.stringify(rows.map((r) => r.id))],
      )
    : { rows: [] };
  return rows.map((g) => ({
    schemas: [GROUP_SCHEMA],
    id: g.id,
    ...(g.external_id ? { externalId: g.external_id } : {}),
    displayName: g.display_name,
    ...(withMembers
      ? { members: members.rows.filter((m) => m.group_id === g.id).map((m) => ({ value: m.person_id, display: m.display_name ?? m.email, $ref: `${base}/Users/${m.person_id}` })) }
      : {}),
    meta: { resourceType: 'Group', created: new Date(g.created_at).toISOString(), lastModified: new Date(g.updated_at).toISOString(), location: `${base}/Groups/${g.id}`, version: `W/"${g.version}"` },
  }));
}

export async function scimGroup(q: Queryable, id: string, base: string, withMembers = true): Promise<ScimGroup | null> {
  const r = await q.query<GroupRow>('SELECT id, display_name, external_id, created_at, updated_at, version FROM idp_groups WHERE id = $1', [id]);
  return r.rows[0] ? (await toScimGroups(q, r.rows, base, withMembers))[0] : null;
}

export async function listScimGroups(q: Queryable, filterText: string | undefined, startIndex: number, count: number, base: string, withMembers: boolean) {
  // members[value eq "id"]: the one membership lookup IdPs send; translated by hand below.
  const params: unknown[] = [];
  let memberOf: string | null = null;
  let text = filterText;
  const m = filterText && /^\s*members(?:\[value eq "([^"]{1,100})"\]|\.value eq "([^"]{1,100})")\s*$/i.exec(filterText);
  if (m) {
    memberOf = m[1] ?? m[2];
    text = undefined;
  }
  const f = compileScimFilter(text, GROUP_SQL, params, new Set(['displayname']));
  const conds = [f.sql, memberOf ? `EXISTS (SELECT 1 FROM idp_group_members x WHERE x.group_id = g.id AND x.person_id = $${params.push(memberOf)})` : null].filter(Boolean);
  const where = conds.length ? `WHERE ${conds.join(' AND ')}` : '';
  const sel = 'SELECT g.id, g.display_name, g.external_id, g.created_at, g.updated_at, g.version FROM idp_groups g';
  if (!f.test) {
    const [page, total] = await Promise.all([
      q.query<GroupRow>(`${sel} ${where} ORDER BY g.created_at, g.id LIMIT ${count} OFFSET ${startIndex - 1}`, params),
      q.query<{ n: string }>(`SELECT count(*) AS n FROM idp_groups g ${where}`, params),
    ]);
    return { total: Number(total.rows[0].n), resources: await toScimGroups(q, page.rows, base, withMembers) };
  }
  const all = await q.query<GroupRow>(`${sel} ${where} ORDER BY g.created_at, g.id LIMIT 10000`, params);
  const matched = (await toScimGroups(q, all.rows, base, true)).filter(f.test).map((g) => (withMembers ? g : { ...g, members: undefined }));
  return { total: matched.length, resources: matched.slice(startIndex - 1, startIndex - 1 + count) };
}

export interface GroupFields {
  displayName: string;
  externalId: string | null;
  /** undefined = leave members as they are */
  members?: string[];
}

export function readGroup(body: unknown): GroupFields {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ScimHttpError(400, 'body: must be a SCIM Group object', 'invalidSyntax');
  const b = body as Record<string, any>;
  if (typeof b.displayName !== 'string' || !b.displayName.trim() || b.displayName.length > 200) throw new ScimHttpError(400, 'displayName: required, at most 200 characters', 'invalidValue');
  if (b.externalId !== undefined && b.externalId !== null && (typeof b.externalId !== 'string' || b.externalId.length > 200)) throw new ScimHttpError(400, 'externalId: a string of at most 200 characters', 'invalidValue');
  let members: string[] | undefined;
  if (b.members !== undefined && b.members !== null) {
    if (!Array.isArray(b.members) || b.members.length > MAX_MEMBERS) throw new ScimHttpError(400, `members: an array of at most ${MAX_MEMBERS}`, 'invalidValue');
    members = b.members.map((x: any, i: number) => {
      if (!x || typeof x.value !== 'string' || x.value.length > 64) throw new ScimHttpError(400, `members[${i}].value: a user id`, 'invalidValue');
      return x.value;
    });
  }
  return { displayName: b.displayName.trim(), externalId: b.externalId ?? null, members };
}

async function setMembers(q: Queryable, groupId: string, members: string[]): Promise<{ added: number; removed: number }> {
  const want = [...new Set(members)];
  const known = await q.query<{ id: string }>('SELECT id FROM people WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb)) AND deleted_at IS NULL', [JSON.stringify(want)]);
  const ok = new Set(known.rows.map((r) => r.id));
  const missing = want.filter((x) => !ok.has(x));
  if (missing.length) throw new ScimHttpError(400, `members: no such user ${missing.slice(0, 3).join(', ')}`, 'invalidValue');
  const del = await q.query('DELETE FROM idp_group_members WHERE group_id = $1 AND NOT (person_id IN (SELECT jsonb_array_elements_text($2::jsonb)))', [groupId, JSON.stringify(want)]);
  const ins = await q.query(
    'INSERT INTO idp_group_members (group_id, person_id) SELECT $1, x FROM jsonb_array_elements_text($2::jsonb) AS x ON CONFLICT DO NOTHING',
    [groupId, JSON.stringify(want)],
  );
  return { added: ins.rowCount, removed: del.rowCount };
}

export async function createScimGroup(q: Queryable, g: GroupFields, actor: string): Promise<string> {
  const id = newId('grp');
  const r = await q.query('INSERT INTO idp_groups (id, display_name, external_id) VALUES ($1,$2,$3) ON CONFLICT DO NOTHING', [id, g.displayName, g.externalId]);
  if (!r.rowCount) throw new ScimHttpError(409, `a group named "${g.displayName}" already exists`, 'uniqueness');
  const m = g.members ? await setMembers(q, id, g.members) : { added: 0, removed: 0 };
  await audit(q, { actor, action: 'idp_group.create', target: `group:${id}`, detail: { displayName: g.displayName, members: m.added } });
  return id;
}

export async function writeScimGroup(q: Queryable, id: string, g: GroupFields, actor: string): Promise<void> {
  const clash = await q.query('SELECT 1 FROM idp_groups WHERE id <> $1 AND lower(display_name) = lower($2)', [id, g.displayName]);
  if (clash.rows.length) throw new ScimHttpError(409, `a group named "${g.displayName}" already exists`, 'uniqueness');
  await q.query('UPDATE idp_groups SET display_name = $2, external_id = $3, updated_at = now(), version = version + 1 WHERE id = $1', [id, g.displayName, g.externalId]);
  const m = g.members ? await setMembers(q, id, g.members) : { added: 0, removed: 0 };
  await audit(q, { actor, action: 'idp_group.update', target: `group:${id}`, detail: { displayName: g.displayName, added: m.added, removed: m.removed } });
}

export async function deleteScimGroup(q: Queryable, id: string, actor: string): Promise<boolean> {
  const r = await q.query('DELETE FROM idp_groups WHERE id = $1', [id]);
  if (r.rowCount) await audit(q, { actor, action: 'idp_group.delete', target: `group:${id}` });
  return r.rowCount > 0;
}
