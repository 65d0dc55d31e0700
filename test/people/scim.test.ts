/**
 * SCIM 2.0 against a running collector over real HTTP.
 * - Conformance: every resource and message the endpoint returns is read back through SCIMMY
 *   (npm `scimmy`, a third-party SCIM 2.0 implementation of the RFC 7643 schemas and RFC 7644
 *   messages), which throws on anything that does not conform. It is fetched with `npm pack`
 *   into a temp dir, not installed into the project.
 * - Okta-style sequence, written from Okta's "SCIM 2.0 protocol reference" (developer.okta.com):
 *   lookup `userName eq` with startIndex/count, POST /Users, PUT /Users/{id} for profile
 *   updates, PATCH `{"op":"replace","value":{"active":false}}` to deactivate, POST /Groups,
 *   PATCH group `replace` of displayName, `add` members, `remove` with `members[value eq "…"]`.
 * - Entra-style sequence, written from Microsoft Learn "Tutorial: Develop and plan provisioning
 *   for a SCIM endpoint in Microsoft Entra ID": lookup `userName eq`, POST /Users with the
 *   enterprise extension, PATCH `Replace` with capitalised ops and paths
 *   (`emails[type eq "work"].value`, `name.familyName`), PATCH `Replace` `active` = "False"
 *   (a string), DELETE, GET /Groups?excludedAttributes=members&filter=displayName eq, PATCH
 *   `Add`/`Remove` of members with a value array.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { tempDir } from '../helpers/db.js';
import { reportingDevice } from '../dashboard/fleet.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

describe('SCIM 2.0 (pglite)', () => {
  let c: TestCollector;
  let token: string;
  let SCIMMY: any;
  let pkgDir: string;
  beforeAll(async () => {
    pkgDir = tempDir('posture-scimmy-');
    execFileSync('npm', ['pack', 'scimmy@1.3.5', '--silent'], { cwd: pkgDir, stdio: 'pipe', timeout: 60_000 });
    execFileSync('tar', ['xzf', 'scimmy-1.3.5.tgz'], { cwd: pkgDir });
    SCIMMY = (await import(join(pkgDir, 'package', 'dist', 'scimmy.js'))).default;
    c = await startTestCollector('pglite');
    token = (await c.api('/api/v1/tokens', { method: 'POST', body: JSON.stringify({ role: 'scim', label: 'idp', expiresInDays: 1 }) })).body.token;
  }, 120_000);
  afterAll(async () => {
    await c?.cleanup();
    if (pkgDir) rmSync(pkgDir, { recursive: true, force: true });
  });

  const scim = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${c.url}/scim/v2${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, accept: 'application/scim+json', ...(body ? { 'content-type': 'application/scim+json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: text ? JSON.parse(text) : null };
  };
  /** Read a response back through SCIMMY's RFC 7643 schema: throws if it does not conform. */
  const conformsUser = (u: unknown) => new SCIMMY.Schemas.User(u, 'out');
  const conformsGroup = (g: unknown) => new SCIMMY.Schemas.Group(g, 'out');
  const q = (f: string) => `filter=${encodeURIComponent(f)}`;

  it('discovery endpoints conform (ServiceProviderConfig, ResourceTypes, Schemas)', async () => {
    const spc = await scim('GET', '/ServiceProviderConfig');
    expect(spc.type).toContain('application/scim+json');
    const parsed = new SCIMMY.Schemas.ServiceProviderConfig(spc.body, 'out');
    expect(parsed.patch.supported).toBe(true);
    expect(parsed.filter.supported).toBe(true);
    const rt = await scim('GET', '/ResourceTypes');
    expect(rt.body.Resources.map((r: any) => new SCIMMY.Schemas.ResourceType(r, 'out').id).sort()).toEqual(['Group', 'User']);
    const sc = await scim('GET', '/Schemas');
    expect(sc.body.Resources.map((s: any) => s.id)).toEqual([USER, ENT, GROUP]);
    expect((await scim('GET', `/Schemas/${USER}`)).body.attributes.some((a: any) => a.name === 'userName')).toBe(true);
  });

  it('errors come in the SCIM error shape; the scim token reaches nothing outside /scim/v2', async () => {
    const e = await scim('GET', '/Users/per_missing');
    expect(e.status).toBe(404);
    expect(e.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
    expect(e.body.status).toBe('404');
    const bad = await scim('GET', `/Users?${q('userName eq')}`);
    expect(bad.status).toBe(400);
    expect(bad.body.scimType).toBe('invalidFilter');
    const anon = await fetch(`${c.url}/scim/v2/Users`);
    expect(anon.status).toBe(401);
    expect(((await anon.json()) as any).schemas[0]).toContain('Error');
    for (const path of ['/api/v1/devices', '/api/v1/people', '/api/v1/audit', '/api/v1/policy']) expect((await c.api(path, { token })).status, path).toBe(403);
    // An admin token is not a SCIM token either.
    expect((await c.api('/scim/v2/Users')).status).toBe(403);
  });

  it('Okta-style sequence: create, update, group membership, deactivate → the owner\'s device is offboarded', async () => {
    const none = await scim('GET', `/Users?${q('userName eq "okta.user@example.com"')}&startIndex=1&count=100`);
    expect(none.body).toMatchObject({ totalResults: 0, startIndex: 1, Resources: [] });
    new SCIMMY.Messages.ListResponse(none.body);
    const created = await scim('POST', '/Users', {
      schemas: [USER],
      userName: 'okta.user@example.com',
      name: { givenName: 'Okta', familyName: 'User' },
      emails: [{ primary: true, value: 'okta.user@example.com', type: 'work' }],
      displayName: 'Okta User',
      locale: 'en-US',
      externalId: '00u1abcdEFGH',
      groups: [],
      password: 'ignored-by-posture',
      active: true,
    });
    expect(created.status).toBe(201);
    conformsUser(created.body);
    const id = created.body.id;
    expect((await scim('GET', `/Users?${q('userName eq "OKTA.USER@example.com"')}`)).body.totalResults).toBe(1); // userName is caseExact=false
    expect((await scim('GET', `/Users?${q('externalId eq "00u1abcdEFGH"')}`)).body.Resources[0].id).toBe(id);
    // Duplicate create → 409 uniqueness
    const dup = await scim('POST', '/Users', { schemas: [USER], userName: 'okta.user@example.com', emails: [{ value: 'okta.user@example.com' }], active: true });
    expect(dup.status).toBe(409);
    expect(dup.body.scimType).toBe('uniqueness');
    // Profile update with PUT
    const put = await scim('PUT', `/Users/${id}`, { ...created.body, displayName: 'Okta U. Renamed', [ENT]: { department: 'Engineering' } });
    expect(put.status).toBe(200);
    expect(conformsUser(put.body).displayName).toBe('Okta U. Renamed');
    expect(put.body[ENT].department).toBe('Engineering');
    // The help desk assigns the person a laptop.
    const dev = await reportingDevice(c.url, 'okta-laptop');
    await dev.report();
    dev.close();
    expect((await c.api(`/api/v1/devices/${dev.deviceId}/owner`, { method: 'PUT', body: JSON.stringify({ email: 'okta.user@example.com' }) })).status).toBe(200);
    // Groups
    const g = await scim('POST', '/Groups', { schemas: [GROUP], displayName: 'Engineering', members: [] });
    expect(g.status).toBe(201);
    conformsGroup(g.body);
    expect((await scim('PATCH', `/Groups/${g.body.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { id: g.body.id, displayName: 'Engineering EU' } }] })).status).toBe(204);
    expect((await scim('PATCH', `/Groups/${g.body.id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: id, display: 'okta.user@example.com' }] }] })).status).toBe(204);
    let grp = (await scim('GET', `/Groups/${g.body.id}`)).body;
    conformsGroup(grp);
    expect(grp.displayName).toBe('Engineering EU');
    expect(grp.members.map((m: any) => m.value)).toEqual([id]);
    expect((await scim('GET', `/Users/${id}`)).body.groups.map((x: any) => x.display)).toEqual(['Engineering EU']);
    expect((await scim('PATCH', `/Groups/${g.body.id}`, { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${id}"]` }] })).status).toBe(204);
    grp = (await scim('GET', `/Groups/${g.body.id}`)).body;
    expect(grp.members).toEqual([]);
    // Deactivate
    const off = await scim('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] });
    expect(off.status).toBe(200);
    expect(conformsUser(off.body).active).toBe(false);
    const person = (await c.api(`/api/v1/people/${id}`)).body;
    expect(person.status).toBe('offboarded');
    const d = (await c.api(`/api/v1/devices/${dev.deviceId}`)).body;
    expect(d.offboarding).toMatchObject({ outcome: null });
    expect(Date.parse(d.offboarding.deadline)).toBeGreaterThan(Date.now());
    // Reactivation closes the open offboarding.
    await scim('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: true } }] });
    expect((await c.api(`/api/v1/devices/${dev.deviceId}`)).body.offboarding.outcome).toBe('owner_reactivated');
  });

  it('Entra-style sequence: create with enterprise extension, PATCH Replace with paths, active "False", groups without members, DELETE', async () => {
    expect((await scim('GET', `/Users?${q('userName eq "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1"')}`)).body.totalResults).toBe(0);
    const created = await scim('POST', '/Users', {
      schemas: [USER, ENT],
      externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
      userName: 'Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1',
      active: true,
      emails: [{ primary: true, type: 'work', value: 'Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com' }],
      meta: { resourceType: 'User' },
      name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
      roles: [],
      [ENT]: { department: 'Sales', manager: { value: 'mgr-1' } },
    });
    expect(created.status).toBe(201);
    conformsUser(created.body);
    const id = created.body.id;
    expect((await scim('GET', `/Users?${q('emails[type eq "work"].value eq "test_user_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"')}`)).body.totalResults).toBe(1);
    const patched = await scim('PATCH', `/Users/${id}`, {
      schemas: [PATCH],
      Operations: [
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'updatedEmail@microsoft.com' },
        { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
      ],
    });
    expect(patched.status).toBe(200);
    conformsUser(patched.body);
    expect(patched.body.emails[0].value).toBe('updatedEmail@microsoft.com');
    expect(patched.body.name.familyName).toBe('updatedFamilyName');
    // Group: lookup by displayName without members, create, Add and Remove members with a value array.
    expect((await scim('GET', `/Groups?excludedAttributes=members&${q('displayName eq "DisplayName1"')}`)).body.totalResults).toBe(0);
    const g = await scim('POST', '/Groups', { schemas: [GROUP], externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159', displayName: 'DisplayName1', members: [] });
    conformsGroup(g.body);
    await scim('PATCH', `/Groups/${g.body.id}`, { schemas: [PATCH], Operations: [{ op: 'Add', path: 'members', value: [{ value: id }] }] });
    const lean = await scim('GET', `/Groups/${g.body.id}?excludedAttributes=members`);
    expect(lean.body.members).toBeUndefined();
    expect((await scim('GET', `/Groups/${g.body.id}`)).body.members).toHaveLength(1);
    expect((await scim('GET', `/Groups?${q(`members[value eq "${id}"]`)}`)).body.totalResults).toBe(1);
    await scim('PATCH', `/Groups/${g.body.id}`, { schemas: [PATCH], Operations: [{ op: 'Remove', path: 'members', value: [{ value: id }] }] });
    expect((await scim('GET', `/Groups/${g.body.id}`)).body.members).toHaveLength(0);
    // Disable with a string boolean, as Entra sends it.
    const dis = await scim('PATCH', `/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
    expect(dis.body.active).toBe(false);
    expect((await scim('GET', `/Users?${q('userName eq "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1"')}`)).body.Resources[0].active).toBe(false);
    // Hard delete: gone from SCIM, still a person (offboarded) for the evidence.
    expect((await scim('DELETE', `/Users/${id}`)).status).toBe(204);
    expect((await scim('GET', `/Users/${id}`)).status).toBe(404);
    expect((await scim('DELETE', `/Groups/${g.body.id}`)).status).toBe(204);
    expect((await scim('GET', `/Groups/${g.body.id}`)).status).toBe(404);
  });

  it('paging: startIndex/count over more users than one page; count=0 gives only totalResults', async () => {
    for (let i = 0; i < 5; i++) await scim('POST', '/Users', { schemas: [USER], userName: `page${i}@example.com`, active: true });
    const f = q('userName sw "page"'); // not SQL-translated: evaluated by the library's matcher
    const p1 = (await scim('GET', `/Users?${f}&startIndex=1&count=2`)).body;
    const p3 = (await scim('GET', `/Users?${f}&startIndex=5&count=2`)).body;
    expect([p1.totalResults, p1.itemsPerPage, p3.itemsPerPage]).toEqual([5, 2, 1]);
    const zero = (await scim('GET', '/Users?count=0')).body;
    expect(zero.Resources).toEqual([]);
    expect(zero.totalResults).toBeGreaterThanOrEqual(5);
  });
});
