/** The policy page shows the retention in force for every data kind (defaults filled in), with the real store on PGlite. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import { tempDir } from '../helpers/db.js';
import { openPglite } from '../../server/src/db/pglite.js';
import { migrate } from '../../server/src/db/migrate.js';
import type { Db } from '../../server/src/db/types.js';
import { PolicyStore } from '../../server/src/policy/store.js';
import { policyPage } from '../../server/src/dashboard/policy-page.js';
import { DEFAULT_POLICY } from '#shared/policy/default-policy.js';

describe('policy page: retention', () => {
  let db: Db;
  let dir = '';
  let store: PolicyStore;
  beforeAll(async () => {
    dir = tempDir('posture-policy-page-');
    db = await openPglite(dir);
    await migrate(db);
    store = new PolicyStore(db);
    await store.start();
  });
  afterAll(async () => {
    await store?.stop();
    await db?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const cell = (page: string, kind: string) => new RegExp(`<tr data-kind="${kind}"><td>[^<]*</td><td>(\\d+)</td></tr>`).exec(page)?.[1];

  it('shows 400 days for every kind by default, and the policy value once set', async () => {
    let page = String(await policyPage(store, null));
    for (const k of ['reports', 'stateEvents', 'inventory', 'auditLog']) expect(cell(page, k)).toBe('400');
    await store.record({ ...DEFAULT_POLICY, retention: { reportsDays: 730, auditLogDays: 500 } }, 'api', 'user:test');
    page = String(await policyPage(store, null));
    expect(cell(page, 'reports')).toBe('730');
    expect(cell(page, 'auditLog')).toBe('500');
    expect(cell(page, 'stateEvents')).toBe('400');
  });
});
