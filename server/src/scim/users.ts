/**
 * SCIM Users ↔ people. A SCIM User is a person: `id` = person id, `externalId` = the IdP's id
 * (person_external_ids, source 'scim'), `active:false` = offboarded (their devices must be
 * returned or wiped; owners.ts). DELETE keeps the record for the evidence and hides it from SCIM.
 */
import type { Queryable } from '../db/types.js';
import type { Policy } from '#shared/policy/schema.js';
import { audit } from '../audit/log.js';
import { EMAIL_RE, externalIdsOf, PERSON_COLUMNS, personByEmail, setExternalId, type PersonRow } from '../people/dal.js';
import { setPersonStatus } from '../people/owners.js';
import { newId } from '../shared/crypto.js';
import { ENTERPRISE_SCHEMA, USER_SCHEMA } from './discovery.js';
import { ScimHttpError } from './errors.js';
import { compileScimFilter, type SqlAttrs } from './filter.js';

export interface ScimUser {
  schemas: string[];
  id: string;
  externalId?: string;
  userName: string;
  name?: { formatted?: string; givenName?: string; familyName?: string };
  displayName?: string;
  emails: { value: string; type?: string; primary?: boolean }[];
  active: boolean;
  groups: { value: string; display: string; $ref: string }[];
  [ENTERPRISE_SCHEMA]?: { department?: string; manager?: { value?: string } };
  meta: { resourceType: 'User'; created: string; lastModified: string; location: string; version: string };
}

const USER_SQL: SqlAttrs = {
  id: { sql: 'p.id', ci: false },
  username: { sql: 'coalesce(p.user_name, p.email)', ci: true },
  externalid: { sql: `(SELECT external_id FROM person_external_ids x WHERE x.person_id = p.id AND x.source = 'scim')`, ci: false },
  'emails.value': { sql: 'p.email', ci: true },
  displayname: { sql: 'p.display_name', ci: true },
};
const CI_USER = new Set(['username', 'emails', 'displayname', 'name']);

export async function toScimUsers(q: Queryable, rows: PersonRow[], base: string): Promise<ScimUser[]> {
  const ext = await externalIdsOf(q, rows.map((r) => r.id));
  const g = rows.length
    ? await q.query<{ person_id: string; id: string; display_name: string }>(
        `SELECT m.person_id, g.id, g.display_name FROM idp_group_members m JOIN idp_groups g ON g.id = m.group_id WHERE m.person_id IN (SELECT jsonb_array_elements_text($1::jsonb)) ORDER BY g.display_name`,
        [JSON.stringify(rows.map((r) => r.id))],
      )
    : { rows: [] };
  return rows.map((p) => {
    const externalId = ext.get(p.id)?.scim;
    const u: ScimUser = {
      schemas: [USER_SCHEMA, ...(p.department || p.manager ? [ENTERPRISE_SCHEMA] : [])],
      id: p.id,
      ...(externalId ? { externalId } : {}),
      userName: p.user_name ?? p.email,
      ...(p.given_name || p.family_name ? { name: { ...(p.given_name ? { givenName: p.given_name } : {}), ...(p.family_name ? { familyName: p.family_name } : {}) } } : {}),
      ...(p.display_name ? { displayName: p.display_name } : {}),
      emails: [{ value: p.email, type: 'work', primary: true }],
      active: p.status === 'active',
      groups: g.rows.filter((x) => x.person_id === p.id).map((x) => ({ value: x.id, display: x.display_name, $ref: `${base}/Groups/${x.id}` })),
      meta: {
        resourceType: 'User',
        created: new Date(p.created_at).toISOString(),
        lastModified: new Date(p.updated_at).toISOString(),
        location: `${base}/Users/${p.id}`,
        version: `W/"${p.version}"`,
      },
    };
    if (p.department || p.manager) u[ENTERPRISE_SCHEMA] = { ...(p.department ? { department: p.department } : {}), ...(p.manager ? { manager: { value: p.manager } } : {}) };
    return u;
  });
}

/** Entra sends booleans as "True"/"False" strings in PATCH values. */
export function scimBool(v: unknown, field: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string' && /^(true|false)$/i.test(v)) return v.toLowerCase() === 'true';
  throw new ScimHttpError(400, `${field}: must be a boolean`, 'invalidValue');
}

const str = (v: unknown, field: string, max = 320): string | null => {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string') throw new ScimHttpError(400, `${field}: must be a string`, 'invalidValue');
  if (v.length > max) throw new ScimHttpError(400, `${field}: longer than ${max} characters`, 'invalidValue');
  return v;
};

/** The fields Posture keeps, read from a SCIM User body (POST, PUT, or a PATCHed resource). */
export interface UserFields {
  userName: string;
  email: string;
  externalId: string | null;
  displayName: string | null;
  givenName: string | null;
  familyName: string | null;
  department: string | null;
  manager: string | null;
  active: boolean;
}

export function readUser(body: unknown): UserFields {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new ScimHttpError(400, 'body: must be a SCIM User object', 'invalidSyntax');
  const b = body as Record<string, any>;
  const userName = str(b.userName, 'userName');
  if (!userName) throw new ScimHttpError(400, 'userName: required', 'invalidValue');
  const emails: unknown[] = Array.isArray(b.emails) ? b.emails : [];
  if (emails.length > 20) throw new ScimHttpError(400, 'emails: at most 20', 'invalidValue');
  const values = emails.map((e, i) => (e && typeof e === 'object' ? { value: str((e as any).value, `emails[${i}].value`), primary: (e as any).primary === true || (e as any).primary === 'True' || (e as any).primary === 'true' } : null)).filter((e) => e?.value) as { value: string; primary: boolean }[];
  const email = (values.find((e) => e.primary) ?? values[0])?.value ?? (EMAIL_RE.test(userName) ? userName : null);
  if (!email || !EMAIL_RE.test(email)) throw new ScimHttpError(400, 'emails: a work email address is required (or a userName that is one)', 'invalidValue');
  const ent = (b[ENTERPRISE_SCHEMA] ?? {}) as Record<string, any>;
  const manager = ent.manager && typeof ent.manager === 'object' ? str(ent.manager.value, 'manager.value') : str(ent.manager, 'manager');
  return {
    userName,
    email,
    externalId: str(b.externalId, 'externalId', 200),
    displayName: str(b.displayName, 'displayName', 200),
    givenName: str(b.name?.givenName, 'name.givenName', 200),
    familyName: str(b.name?.familyName, 'name.familyName', 200),
    department: str(ent.department, 'department', 200),
    manager,
    active: scimBool(b.active, 'active') ?? true,
  };
}

export async function scimUserById(q: Queryable, id: string): Promise<PersonRow | null> {
  const r = await q.query<PersonRow>(`SELECT ${PERSON_COLUMNS} FROM people WHERE id = $1 AND deleted_at IS NULL`, [id]);
  return r.rows[0] ?? null;
}

export async function listScimUsers(q: Queryable, filterText: string | undefined, startIndex: number, count: number, base: string) {
  const params: unknown[] = [];
  const f = compileScimFilter(filterText, USER_SQL, params, CI_USER);
  const where = `WHERE p.deleted_at IS NULL${f.sql ? ` AND ${f.sql}` : ''}`;
  const cols = PERSON_COLUMNS.split(', ').map((c) => `p.${c}`).join(', ');
  if (!f.test) {
    const [page, total] = await Promise.all([
      q.query<PersonRow>(`SELECT ${cols} FROM people p ${where} ORDER BY p.created_at, p.id LIMIT ${count} OFFSET ${startIndex - 1}`, params),
      q.query<{ n: string }>(`SELECT count(*) AS n FROM people p ${where}`, params),
    ]);
    return { total: Number(total.rows[0].n), resources: await toScimUsers(q, page.rows, base) };
  }
  // Expressions SQL cannot take run through the library's matcher, over at most 10,000 people.
  const all = await q.query<PersonRow>(`SELECT ${cols} FROM people p ${where} ORDER BY p.created_at, p.id LIMIT 10000`, params);
  const matched = (await toScimUsers(q, all.rows, base)).filter(f.test);
  return { total: matched.length, resources: matched.slice(startIndex - 1, startIndex - 1 + count) };
}

/** Create, or adopt a person created before provisioning (same email, not yet managed by SCIM). */
export async function createScimUser(q: Queryable, u: UserFields, actor: string, policy: Policy): Promise<PersonRow> {
  const clash = await q.query<{ id: string; source: string }>(
    `SELECT id, source FROM people WHERE deleted_at IS NULL AND (lower(coalesce(user_name, '')) = lower($1) OR lower(email) = lower($2))`,
    [u.userName, u.email],
  );
  let id: string;
  const adopt = clash.rows.length === 1 && clash.rows[0].source !== 'scim' ? clash.rows[0].id : null;
  if (clash.rows.length && !adopt) throw new ScimHttpError(409, `userName or email already exists: ${u.userName}`, 'uniqueness');
  if (adopt) id = adopt;
  else {
    // A deleted record with this address comes back rather than clashing on the unique index.
    const old = await personByEmail(q, u.email);
    id = old?.id ?? newId('per');
    if (!old)
      await q.query(`INSERT INTO people (id, email, user_name, status, source) VALUES ($1,$2,$3,'active','scim')`, [id, u.email, u.userName]);
    else await q.query(`UPDATE people SET deleted_at = NULL, source = 'scim' WHERE id = $1`, [id]);
  }
  await q.query(`UPDATE people SET source = 'scim' WHERE id = $1`, [id]);
  await writeUser(q, id, u, actor, policy);
  await audit(q, { actor, action: adopt ? 'person.scim_adopt' : 'person.scim_create', target: `person:${id}`, detail: { userName: u.userName, email: u.email, externalId: u.externalId } });
  return (await scimUserById(q, id))!;
}

/** Replace the stored fields with `u` (PUT, or the result of a PATCH). */
export async function writeUser(q: Queryable, id: string, u: UserFields, actor: string, policy: Policy): Promise<void> {
  const other = await q.query<{ id: string }>(
    // Deleted records count: the unique indexes still hold their addresses.
    `SELECT id FROM people WHERE id <> $1 AND (lower(coalesce(user_name, '')) = lower($2) OR lower(email) = lower($3))`,
    [id, u.userName, u.email],
  );
  if (other.rows.length) throw new ScimHttpError(409, `userName or email already used by another user: ${u.userName}`, 'uniqueness');
  await q.query(
    `UPDATE people SET user_name = $2, email = $3, display_name = $4, given_name = $5, family_name = $6, department = $7, manager = $8,
            updated_at = now(), version = version + 1 WHERE id = $1`,
    [id, u.userName, u.email, u.displayName, u.givenName, u.familyName, u.department, u.manager],
  );
  await setExternalId(q, id, 'scim', u.externalId);
  // devices.owner is the owner's email as a label; keep it in step with a changed address.
  await q.query(`UPDATE devices SET owner = $2 WHERE owner_person_id = $1 AND owner IS DISTINCT FROM $2`, [id, u.email]);
  await setPersonStatus(q, id, u.active ? 'active' : 'offboarded', actor, policy);
}

export async function deleteScimUser(q: Queryable, id: string, actor: string, policy: Policy): Promise<boolean> {
  const p = await scimUserById(q, id);
  if (!p) return false;
  await setPersonStatus(q, id, 'offboarded', actor, policy);
  await q.query('UPDATE people SET deleted_at = now(), updated_at = now(), version = version + 1 WHERE id = $1', [id]);
  await q.query('DELETE FROM idp_group_members WHERE person_id = $1', [id]);
  await audit(q, { actor, action: 'person.scim_delete', target: `person:${id}`, detail: { email: p.email } });
  return true;
}
