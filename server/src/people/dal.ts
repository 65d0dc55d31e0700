/** People records: lookups and writes shared by the People API, SCIM and owner assignment. */
import type { Queryable } from '../db/types.js';
import { newId } from '../shared/crypto.js';

export const PERSON_STATUSES = ['active', 'suspended', 'offboarded'] as const;
export type PersonStatus = (typeof PERSON_STATUSES)[number];

export interface PersonRow {
  id: string;
  email: string;
  user_name: string | null;
  display_name: string | null;
  given_name: string | null;
  family_name: string | null;
  department: string | null;
  manager: string | null;
  status: PersonStatus;
  source: string;
  created_at: Date;
  updated_at: Date;
  offboarded_at: Date | null;
  deleted_at: Date | null;
  version: string | number;
}

export const PERSON_COLUMNS =
  'id, email, user_name, display_name, given_name, family_name, department, manager, status, source, created_at, updated_at, offboarded_at, deleted_at, version';

/** An address as people type it, compared case-insensitively (the unique index is on lower(email)). */
export const normalizeEmail = (e: string) => e.trim();
export const EMAIL_RE = /^[^\s@]{1,200}@[^\s@]{1,200}$/;

export async function personById(q: Queryable, id: string): Promise<PersonRow | null> {
  const r = await q.query<PersonRow>(`SELECT ${PERSON_COLUMNS} FROM people WHERE id = $1`, [id]);
  return r.rows[0] ?? null;
}

export async function personByEmail(q: Queryable, email: string): Promise<PersonRow | null> {
  const r = await q.query<PersonRow>(`SELECT ${PERSON_COLUMNS} FROM people WHERE lower(email) = lower($1)`, [normalizeEmail(email)]);
  return r.rows[0] ?? null;
}

export interface NewPerson {
  email: string;
  userName?: string | null;
  displayName?: string | null;
  givenName?: string | null;
  familyName?: string | null;
  department?: string | null;
  manager?: string | null;
  status?: PersonStatus;
  source: string;
}

/** Insert a person; returns null when the email (or userName) is already taken. */
export async function insertPerson(q: Queryable, p: NewPerson): Promise<PersonRow | null> {
  const r = await q.query<PersonRow>(
    `INSERT INTO people (id, email, user_name, display_name, given_name, family_name, department, manager, status, source, offboarded_at)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10, CASE WHEN $9 = 'offboarded' THEN now() END)
     ON CONFLICT DO NOTHING RETURNING ${PERSON_COLUMNS}`,
    [newId('per'), normalizeEmail(p.email), p.userName ?? null, p.displayName ?? null, p.givenName ?? null, p.familyName ?? null, p.department ?? null, p.manager ?? null, p.status ?? 'active', p.source],
  );
  return r.rows[0] ?? null;
}

/** The person with this email, created (source as given) when there is none yet. */
export async function findOrCreatePerson(q: Queryable, email: string, source: string, displayName?: string | null): Promise<{ person: PersonRow; created: boolean }> {
  const found = await personByEmail(q, email);
  if (found) return { person: found, created: false };
  const made = await insertPerson(q, { email, displayName, source });
  if (made) return { person: made, created: true };
  // Lost a race with another insert of the same address.
  return { person: (await personByEmail(q, email))!, created: false };
}

export async function setExternalId(q: Queryable, personId: string, source: string, externalId: string | null): Promise<void> {
  await q.query('DELETE FROM person_external_ids WHERE person_id = $1 AND source = $2', [personId, source]);
  if (externalId) await q.query('INSERT INTO person_external_ids (person_id, source, external_id) VALUES ($1,$2,$3) ON CONFLICT (source, external_id) DO UPDATE SET person_id = EXCLUDED.person_id', [personId, source, externalId]);
}

export async function externalIdsOf(q: Queryable, personIds: string[]): Promise<Map<string, Record<string, string>>> {
  const m = new Map<string, Record<string, string>>();
  if (!personIds.length) return m;
  const r = await q.query<{ person_id: string; source: string; external_id: string }>(
    'SELECT person_id, source, external_id FROM person_external_ids WHERE person_id IN (SELECT jsonb_array_elements_text($1::jsonb))',
    [JSON.stringify(personIds)],
  );
  for (const x of r.rows) m.set(x.person_id, { ...(m.get(x.person_id) ?? {}), [x.source]: x.external_id });
  return m;
}
