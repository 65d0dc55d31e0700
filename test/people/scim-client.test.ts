/**
 * SCIM 2.0 conformance driven through a SCIM *client* library nobody here wrote, against a
 * running collector over real HTTP: `@braveulysses/scim2` (npm, Apache-2.0, by the author of
 * the UnboundID SCIM 2 SDK). It is fetched at test time with `npm install --prefix <temp dir>`
 * (with its two dependencies), not a project dependency. Its `Resource` reads every response
 * (attribute paths, value filters such as `emails[type eq "work"]`) and builds the bodies we
 * send (`Resource.set` + `toJSON`), and its `Patch` module builds every PATCH request.
 *
 * What was evaluated and why this one (docs/scim.md, "Conformance"): no SCIM compliance tester
 * is installable from the npm registry (the only one published for Node, `scimverify`, is not on
 * it; `scim2-tester`/`scim2-cli` are Python, on a registry this project cannot reach); `scim-node`
 * is a client for the Gluu server only (UMA tickets, no bearer token); SCIMMY is a server
 * library (used by scim.test.ts to check our responses against the RFC 7643 schemas). The
 * library covers resources and PATCH, not the protocol's list, paging and discovery messages, so
 * each protocol rule is its own case below, citing its RFC 7644 section.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { startTestCollector, type TestCollector } from '../helpers/collector.js';
import { tempDir } from '../helpers/db.js';

const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const LIST = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

interface ScimResource {
  id(): string;
  meta(): Record<string, any>;
  schemas(): string[];
  get(path: string): any;
  set(path: string, value: unknown): void;
  toJSON(): string;
}

describe('SCIM 2.0 through a third-party SCIM client (@braveulysses/scim2) (pglite)', () => {
  let c: TestCollector;
  let token: string;
  let dir: string;
  let Resource: new (json: unknown) => ScimResource;
  let Patch: { patchRequest(...ops: object[]): string; addOperation(path: string | undefined, value: unknown): object; replaceOperation(path: string | undefined, value: unknown): object; removeOperation(path: string): object };
  let media: string;

  beforeAll(async () => {
    dir = tempDir('posture-scim-client-');
    writeFileSync(join(dir, 'package.json'), '{"private":true}');
    execFileSync('npm', ['install', '--prefix', dir, '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', '@braveulysses/scim2@0.1.0'], { stdio: 'pipe', timeout: 120_000 });
    const req = createRequire(join(dir, 'package.json'));
    const lib = req('@braveulysses/scim2');
    Resource = lib.Resource;
    media = lib.Constants.SCIM_MEDIA_TYPE;
    Patch = req('@braveulysses/scim2/dist/Patch.js');
    c = await startTestCollector('pglite');
    token = (await c.api('/api/v1/tokens', { method: 'POST', body: JSON.stringify({ role: 'scim', label: 'conformance', expiresInDays: 1 }) })).body.token;
  }, 180_000);
  afterAll(async () => {
    await c?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** One request as the client library's README does it (fetch, bearer token, its media type). */
  const send = async (method: string, path: string, body?: string) => {
    const res = await fetch(`${c.url}/scim/v2${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, accept: media, ...(body ? { 'content-type': media } : {}) },
      body,
    });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type') ?? '', location: res.headers.get('location'), json: text ? JSON.parse(text) : null };
  };
  const q = (f: string) => `filter=${encodeURIComponent(f)}`;
  /** A new user resource built with the library (set + toJSON), as a client creates one. */
  const newUser = (userName: string, extra: Record<string, unknown> = {}) => {
    const u = new Resource({ schemas: [USER] });
    u.set('userName', userName);
    u.set('name', { givenName: 'Conf', familyName: userName.split('@')[0] });
    u.set('emails', [{ value: userName, type: 'work', primary: true }]);
    u.set('active', true);
    for (const [k, v] of Object.entries(extra)) u.set(k, v);
    return u.toJSON();
  };
  const ids: Record<string, string> = {};

  it('RFC 7644 §4: ServiceProviderConfig, ResourceTypes and Schemas are served and read by the client', async () => {
    const spc = await send('GET', '/ServiceProviderConfig');
    expect(spc.status).toBe(200);
    expect(spc.type).toContain(media); // §8.1: application/scim+json
    const s = new Resource(spc.json);
    expect(s.schemas()).toContain('urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig');
    expect(s.get('patch.supported')).toBe(true);
    expect(s.get('filter.supported')).toBe(true);
    expect(s.get('filter.maxResults')).toBeGreaterThan(0);
    expect(s.get('bulk.supported')).toBe(false); // deliberate: docs/scim.md
    expect(s.get('authenticationSchemes')[0].type).toBe('oauthbearertoken');
    const rt = await send('GET', '/ResourceTypes');
    expect(rt.json.schemas).toEqual([LIST]);
    const user = rt.json.Resources.map((r: unknown) => new Resource(r)).find((r: ScimResource) => r.id() === 'User');
    expect(user.get('endpoint')).toBe('/Users');
    expect(user.get('schema')).toBe(USER);
    // (The library's value filters cannot take a URN value, so this one is read as plain JSON.)
    expect(user.get('schemaExtensions').find((x: any) => x.schema === ENT).required).toBe(false);
    expect(new Resource((await send('GET', '/ResourceTypes/Group')).json).get('endpoint')).toBe('/Groups');
    const sc = await send('GET', '/Schemas');
    expect(sc.json.totalResults).toBe(3);
    const us = new Resource((await send('GET', `/Schemas/${USER}`)).json);
    expect(us.get('attributes[name eq "userName"]').uniqueness).toBe('server');
    expect((await send('GET', '/Schemas/urn:nope')).status).toBe(404);
  });

  it('RFC 7644 §3.3: create answers 201 with the resource, Location = meta.location; a duplicate userName is 409 uniqueness', async () => {
    const r = await send('POST', '/Users', newUser('ada.conf@example.com', { externalId: 'ext-ada', displayName: 'Ada Conf' }));
    expect(r.status).toBe(201);
    const u = new Resource(r.json);
    ids.ada = u.id();
    expect(u.id()).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(r.location).toBe(u.meta().location); // §3.1: Location header with the resource's URI
    expect(u.meta().resourceType).toBe('User');
    expect(Date.parse(u.meta().created)).toBeGreaterThan(0);
    expect(Date.parse(u.meta().lastModified)).toBeGreaterThan(0);
    expect(u.get('emails[type eq "work"]').value).toBe('ada.conf@example.com');
    expect(u.get('name.givenName')).toBe('Conf');
    for (const n of ['bob', 'cy', 'dee']) ids[n] = new Resource((await send('POST', '/Users', newUser(`${n}.conf@example.com`))).json).id();
    const dup = await send('POST', '/Users', newUser('ADA.conf@example.com')); // userName is caseExact=false (RFC 7643 §4.1.1)
    expect(dup.status).toBe(409);
    expect(dup.json).toMatchObject({ schemas: [ERROR], status: '409', scimType: 'uniqueness' }); // §3.12
  });

  it('RFC 7644 §3.4.1 / §3.12: GET by id; an unknown id is 404 in the error schema', async () => {
    const u = new Resource((await send('GET', `/Users/${ids.ada}`)).json);
    expect(u.get('userName')).toBe('ada.conf@example.com');
    expect(u.get('active')).toBe(true);
    const nf = await send('GET', '/Users/per_doesnotexist');
    expect(nf.status).toBe(404);
    expect(nf.json).toMatchObject({ schemas: [ERROR], status: '404' });
    expect(typeof nf.json.detail).toBe('string');
  });

  it('RFC 7644 §3.4.2.2: filters (eq ignoring case, co, sw, pr, and/or, externalId); a bad filter is 400 invalidFilter', async () => {
    const names = async (f: string) => {
      const r = await send('GET', `/Users?${q(f)}`);
      expect(r.status, f).toBe(200);
      expect(r.json.schemas).toEqual([LIST]);
      return r.json.Resources.map((x: unknown) => new Resource(x).get('userName')).sort();
    };
    expect(await names('userName eq "Ada.Conf@Example.com"')).toEqual(['ada.conf@example.com']);
    expect(await names('externalId eq "ext-ada"')).toEqual(['ada.conf@example.com']);
    expect(await names('userName sw "b"')).toEqual(['bob.conf@example.com']);
    expect(await names('emails.value co "conf@example"')).toHaveLength(4);
    expect(await names('displayName pr')).toEqual(['ada.conf@example.com']);
    expect(await names('userName eq "bob.conf@example.com" or userName eq "cy.conf@example.com"')).toEqual(['bob.conf@example.com', 'cy.conf@example.com']);
    expect(await names('userName sw "d" and active eq true')).toEqual(['dee.conf@example.com']);
    const bad = await send('GET', `/Users?${q('userName eq')}`);
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ schemas: [ERROR], status: '400', scimType: 'invalidFilter' });
  });

  it('RFC 7644 §3.4.2.4: paging by startIndex and count', async () => {
    const all = await send('GET', `/Users?${q('userName co "conf@"')}`);
    expect(all.json.totalResults).toBe(4);
    const page = await send('GET', `/Users?${q('userName co "conf@"')}&startIndex=2&count=2`);
    expect(page.json).toMatchObject({ totalResults: 4, startIndex: 2, itemsPerPage: 2 });
    expect(page.json.Resources.map((r: any) => r.id)).toEqual(all.json.Resources.slice(1, 3).map((r: any) => r.id));
    const past = await send('GET', `/Users?${q('userName co "conf@"')}&startIndex=10`);
    expect(past.json).toMatchObject({ totalResults: 4, itemsPerPage: 0, Resources: [] });
    expect((await send('GET', `/Users?${q('userName co "conf@"')}&count=0`)).json).toMatchObject({ totalResults: 4, itemsPerPage: 0 });
  });

  it('RFC 7644 §3.4.2.5 / §3.9: attributes and excludedAttributes shape every returned resource; id and schemas always come back', async () => {
    const only = new Resource((await send('GET', `/Users/${ids.ada}?attributes=userName,name.familyName`)).json);
    expect(Object.keys(JSON.parse(only.toJSON())).sort()).toEqual(['id', 'name', 'schemas', 'userName']);
    expect(only.get('name')).toEqual({ familyName: 'ada.conf' });
    const urn = new Resource((await send('GET', `/Users?${q('userName eq "ada.conf@example.com"')}&attributes=${encodeURIComponent(`${USER}:displayName`)}`)).json.Resources[0]);
    expect(urn.get('displayName')).toBe('Ada Conf');
    expect(urn.get('userName')).toBeUndefined();
    const without = new Resource((await send('GET', `/Users/${ids.ada}?excludedAttributes=emails,meta`)).json);
    expect(without.get('emails')).toBeUndefined();
    expect(without.get('meta')).toBeUndefined();
    expect(without.get('userName')).toBe('ada.conf@example.com');
    expect(without.id()).toBe(ids.ada);
    const both = await send('GET', `/Users/${ids.ada}?attributes=userName&excludedAttributes=emails`);
    expect(both.status).toBe(400);
    expect(both.json.scimType).toBe('invalidSyntax');
  });

  it('RFC 7644 §3.4.3: POST /.search takes the query in a SearchRequest body', async () => {
    const body = JSON.stringify({ schemas: [SEARCH], filter: 'userName sw "c"', attributes: ['userName'], startIndex: 1, count: 10 });
    const r = await send('POST', '/Users/.search', body);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ schemas: [LIST], totalResults: 1 });
    expect(Object.keys(r.json.Resources[0]).sort()).toEqual(['id', 'schemas', 'userName']);
    expect((await send('POST', '/Users/.search', JSON.stringify({ filter: 'userName pr' }))).status).toBe(400); // no SearchRequest schema
  });

  it('RFC 7644 §3.5.1: PUT replaces the resource (built by the client from the one it read); id is immutable', async () => {
    // The library sets paths with object-path, which splits on "." — a URN key cannot be set
    // whole, so the extension object is started in the JSON and its attribute set by URN path.
    const read = (await send('GET', `/Users/${ids.bob}`)).json;
    const u = new Resource({ ...read, schemas: [USER, ENT], [ENT]: read[ENT] ?? {} });
    u.set('displayName', 'Bob Replaced');
    u.set(`${ENT}:department`, 'Finance');
    const r = await send('PUT', `/Users/${ids.bob}`, u.toJSON());
    expect(r.status).toBe(200);
    const out = new Resource(r.json);
    expect(out.id()).toBe(ids.bob);
    expect(out.get('displayName')).toBe('Bob Replaced');
    expect(out.get(`${ENT}:department`)).toBe('Finance');
    expect((await send('PUT', '/Users/per_doesnotexist', u.toJSON())).status).toBe(404);
  });

  it('RFC 7644 §3.5.2: PATCH built by the client — replace with and without a path, add, and active:false offboards', async () => {
    let r = await send('PATCH', `/Users/${ids.cy}`, Patch.patchRequest(Patch.replaceOperation('name.familyName', 'Replaced'), Patch.addOperation('displayName', 'Cy Added')));
    expect(r.status).toBe(200); // §3.5.2: 200 with the resource (or 204)
    let u = new Resource(r.json);
    expect(u.get('name.familyName')).toBe('Replaced');
    expect(u.get('displayName')).toBe('Cy Added');
    r = await send('PATCH', `/Users/${ids.cy}`, Patch.patchRequest(Patch.replaceOperation('emails[type eq "work"].value', 'cy.new@example.com')));
    expect(new Resource(r.json).get('emails[type eq "work"]').value).toBe('cy.new@example.com');
    // The library drops a falsy value (`if (value)`), so `replace active false` is sent in the
    // no-path form Okta uses: value {active: false}.
    r = await send('PATCH', `/Users/${ids.cy}`, Patch.patchRequest(Patch.replaceOperation(undefined, { active: false })));
    u = new Resource(r.json);
    expect(u.get('active')).toBe(false);
    expect((await c.api(`/api/v1/people/${ids.cy}`)).body.status).toBe('offboarded');
    const bad = await send('PATCH', `/Users/${ids.cy}`, JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'move', path: 'displayName' }] }));
    expect(bad.status).toBe(400);
    expect(bad.json.scimType).toBe('invalidSyntax');
  });

  it('Groups, RFC 7644 §3.3, §3.5.2.1–3, §3.4.2.5, §3.6: create, add/remove members, replace, members excluded, delete', async () => {
    const g = new Resource({ schemas: [GROUP] });
    g.set('displayName', 'Conformance');
    g.set('members', [{ value: ids.ada }]);
    let r = await send('POST', '/Groups', g.toJSON());
    expect(r.status).toBe(201);
    const gid = new Resource(r.json).id();
    expect(r.location).toBe(r.json.meta.location);
    expect(new Resource(r.json).get(`members[value eq "${ids.ada}"]`)).toBeDefined();
    r = await send('PATCH', `/Groups/${gid}`, Patch.patchRequest(Patch.addOperation('members', [{ value: ids.bob }, { value: ids.dee }])));
    expect([200, 204]).toContain(r.status);
    let got = new Resource((await send('GET', `/Groups/${gid}`)).json);
    expect(got.get('members').map((m: any) => m.value).sort()).toEqual([ids.ada, ids.bob, ids.dee].sort());
    r = await send('PATCH', `/Groups/${gid}`, Patch.patchRequest(Patch.removeOperation(`members[value eq "${ids.bob}"]`), Patch.replaceOperation('displayName', 'Conformance EU')));
    expect([200, 204]).toContain(r.status);
    // With `attributes` the PATCH answers 200 with the resource shaped as asked (§3.5.2).
    r = await send('PATCH', `/Groups/${gid}?attributes=displayName`, Patch.patchRequest(Patch.addOperation('externalId', 'grp-ext-1')));
    expect(r.status).toBe(200);
    expect(Object.keys(r.json).sort()).toEqual(['displayName', 'id', 'schemas']);
    got = new Resource((await send('GET', `/Groups/${gid}`)).json);
    expect(got.get('displayName')).toBe('Conformance EU');
    expect(got.get(`members[value eq "${ids.bob}"]`)).toBeUndefined();
    expect(got.get('externalId')).toBe('grp-ext-1');
    expect(new Resource((await send('GET', `/Users/${ids.ada}`)).json).get('groups').map((x: any) => x.value)).toEqual([gid]);
    expect(new Resource((await send('GET', `/Groups/${gid}?excludedAttributes=members`)).json).get('members')).toBeUndefined();
    const found = await send('GET', `/Groups?${q('displayName eq "conformance eu"')}&attributes=displayName`);
    expect(found.json.totalResults).toBe(1);
    expect(found.json.Resources[0].members).toBeUndefined();
    const search = await send('POST', '/Groups/.search', JSON.stringify({ schemas: [SEARCH], filter: `members[value eq "${ids.dee}"]` }));
    expect(search.json.Resources.map((x: any) => x.id)).toEqual([gid]);
    // §3.5.1: PUT replaces members too.
    const put = new Resource((await send('GET', `/Groups/${gid}`)).json);
    put.set('members', [{ value: ids.dee }]);
    expect(new Resource((await send('PUT', `/Groups/${gid}`, put.toJSON())).json).get('members').map((m: any) => m.value)).toEqual([ids.dee]);
    // §3.6: DELETE answers 204; the resource is gone (404).
    expect((await send('DELETE', `/Groups/${gid}`)).status).toBe(204);
    expect((await send('GET', `/Groups/${gid}`)).status).toBe(404);
    expect((await send('DELETE', `/Groups/${gid}`)).status).toBe(404);
  });

  it('RFC 7644 §3.6: DELETE a user answers 204; it is gone from SCIM (the person stays for the evidence)', async () => {
    expect((await send('DELETE', `/Users/${ids.dee}`)).status).toBe(204);
    expect((await send('GET', `/Users/${ids.dee}`)).status).toBe(404);
    expect((await send('GET', `/Users?${q('userName eq "dee.conf@example.com"')}`)).json.totalResults).toBe(0);
    // Hidden from the API as from SCIM, kept (offboarded) in the store for people.csv.
    expect((await c.api(`/api/v1/people/${ids.dee}`)).status).toBe(404);
    expect((await c.db.query<{ status: string }>('SELECT status FROM people WHERE id = $1', [ids.dee])).rows[0].status).toBe('offboarded');
  });

  it('the deviations docs/scim.md lists: no Bulk (§3.7), no /Me (§3.11), sortBy ignored (§3.4.2.3), as ServiceProviderConfig says', async () => {
    const spc = new Resource((await send('GET', '/ServiceProviderConfig')).json);
    expect([spc.get('bulk.supported'), spc.get('sort.supported'), spc.get('etag.supported')]).toEqual([false, false, false]);
    expect((await send('POST', '/Bulk', JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: [] }))).status).toBe(404);
    expect((await send('GET', '/Me')).status).toBe(404);
    const plain = (await send('GET', `/Users?${q('userName co "conf@"')}`)).json.Resources.map((r: any) => r.id);
    const sorted = (await send('GET', `/Users?${q('userName co "conf@"')}&sortBy=userName&sortOrder=descending`)).json.Resources.map((r: any) => r.id);
    expect(sorted).toEqual(plain); // creation order either way
  });

  it('RFC 7644 §2 / §3.12: without the bearer token, 401 in the error schema', async () => {
    const res = await fetch(`${c.url}/scim/v2/Users`, { headers: { accept: media } });
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).schemas).toEqual([ERROR]);
  });
});
