/** RFC 7644 §3.4.2.5 partial representations, on a User shaped like RFC 7643 §8.2's example. */
import { describe, expect, it } from 'vitest';
import { projection } from './projection.js';
import { ScimHttpError } from './errors.js';

const ENT = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const user = () => ({
  schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENT],
  id: '2819c223',
  userName: 'bjensen@example.com',
  name: { givenName: 'Barbara', familyName: 'Jensen' },
  emails: [{ value: 'bjensen@example.com', type: 'work', primary: true }, { value: 'babs@jensen.org', type: 'home' }],
  [ENT]: { department: 'Tour Operations', employeeNumber: '701984' },
  meta: { resourceType: 'User' },
});

describe('SCIM attributes / excludedAttributes', () => {
  it('attributes keeps id and schemas, the named attributes, sub-attributes of each value, extension attributes by URN', () => {
    const p = projection({ attributes: 'userName,emails.value,' + `${ENT}:department` })!;
    expect(p(user())).toEqual({
      schemas: user().schemas,
      id: '2819c223',
      userName: 'bjensen@example.com',
      emails: [{ value: 'bjensen@example.com' }, { value: 'babs@jensen.org' }],
      // The extension's attribute: copied under its URN key, alone.
      [ENT]: { department: 'Tour Operations' },
    });
    expect(projection({ attributes: 'USERNAME' })!(user())).toHaveProperty('userName'); // names ignore case (RFC 7643 §2.1)
    expect(projection({ attributes: 'urn:ietf:params:scim:schemas:core:2.0:User:name.familyName' })!(user()).name).toEqual({ familyName: 'Jensen' });
  });

  it('excludedAttributes drops attributes and sub-attributes but never id or schemas; a repeated parameter is one list', () => {
    const out = projection({ excludedAttributes: ['emails', 'name.givenName,id,schemas'] })!(user());
    expect(out.emails).toBeUndefined();
    expect(out.name).toEqual({ familyName: 'Jensen' });
    expect(out.id).toBe('2819c223');
    expect(out.schemas).toEqual(user().schemas);
    expect(projection({ excludedAttributes: ENT })!(user())).not.toHaveProperty(ENT);
  });

  it('none asked: null; both, a bad path or too many paths: a 400', () => {
    expect(projection({})).toBeNull();
    expect(projection({ attributes: ' ' })).toBeNull();
    for (const q of [{ attributes: 'a', excludedAttributes: 'b' }, { attributes: 'name[type eq "x"]' }, { attributes: Array(101).fill('a').join(',') }, { attributes: { x: 1 } }]) {
      let err: unknown;
      try {
        projection(q);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(q)).toBeInstanceOf(ScimHttpError);
      expect((err as ScimHttpError).status).toBe(400);
    }
  });
});
