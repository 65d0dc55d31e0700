/**
 * Partial representations (RFC 7644 §3.4.2.5 and §3.9): `attributes=a,b.c` returns only those
 * attributes, `excludedAttributes=a` returns the defaults less those. `id` and `schemas` are
 * always returned (RFC 7643 §2.2 / §3.1: returned "always"). A path is an attribute, an
 * attribute.subAttribute, or either prefixed by its schema URN (`urn:…:enterprise:2.0:User:department`);
 * the core schemas' URNs resolve to top-level attributes, an extension's to its object.
 * Names compare without regard to case (RFC 7643 §2.1). The two parameters together are refused
 * (they are mutually exclusive), as is a list longer than MAX_PATHS.
 */
import { ENTERPRISE_SCHEMA, GROUP_SCHEMA, USER_SCHEMA } from './discovery.js';
import { ScimHttpError } from './errors.js';

type Resource = Record<string, unknown>;
const ALWAYS = new Set(['id', 'schemas']);
const MAX_PATHS = 100;
const CORE = [USER_SCHEMA, GROUP_SCHEMA];
const EXTENSIONS = [ENTERPRISE_SCHEMA];

/** A path as [top-level key, sub-attribute?]; the top-level key is an extension URN for extension attributes. */
function parsePath(raw: string): [string, string | undefined] {
  let p = raw.trim();
  for (const urn of CORE) if (p.toLowerCase().startsWith(`${urn.toLowerCase()}:`)) p = p.slice(urn.length + 1);
  for (const urn of EXTENSIONS) {
    if (p.toLowerCase() === urn.toLowerCase()) return [urn, undefined];
    if (p.toLowerCase().startsWith(`${urn.toLowerCase()}:`)) return [urn, p.slice(urn.length + 1)];
  }
  const [top, sub] = p.split('.', 2);
  if (!top || !/^[A-Za-z$][\w$-]*$/.test(top) || (sub !== undefined && !/^[A-Za-z$][\w$-]*$/.test(sub))) throw new ScimHttpError(400, `attributes: "${raw}" is not an attribute path`, 'invalidPath');
  return [top, sub];
}

const keyOf = (o: Resource, name: string) => Object.keys(o).find((k) => k.toLowerCase() === name.toLowerCase());

function parseList(raw: unknown): [string, string | undefined][] | null {
  // A parameter given twice arrives as an array: its values are one list.
  const v = Array.isArray(raw) ? raw.join(',') : raw;
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new ScimHttpError(400, 'attributes: a comma-separated list of attribute paths', 'invalidSyntax');
  if (v.trim() === '') return null;
  const parts = v.split(',').filter((s) => s.trim() !== '');
  if (parts.length > MAX_PATHS) throw new ScimHttpError(400, `attributes: at most ${MAX_PATHS} paths`, 'invalidValue');
  return parts.map(parsePath);
}

/** Copy one path of `src` into `out` (a multi-valued attribute's sub-attribute is taken from each value). */
function copyPath(src: Resource, out: Resource, [top, sub]: [string, string | undefined]): void {
  const k = keyOf(src, top);
  if (k === undefined) return;
  const v = src[k];
  if (sub === undefined || v === null || typeof v !== 'object') {
    out[k] = v;
    return;
  }
  const pick = (o: Resource) => {
    const sk = keyOf(o, sub);
    return sk === undefined ? {} : { [sk]: o[sk] };
  };
  if (Array.isArray(v)) out[k] = v.map((x) => (x && typeof x === 'object' ? pick(x as Resource) : x));
  else out[k] = { ...((out[k] as Resource | undefined) ?? {}), ...pick(v as Resource) };
}

function dropPath(o: Resource, [top, sub]: [string, string | undefined]): void {
  const k = keyOf(o, top);
  if (k === undefined || (sub === undefined && ALWAYS.has(k))) return;
  if (sub === undefined) {
    delete o[k];
    return;
  }
  const v = o[k];
  const strip = (x: unknown) => {
    if (!x || typeof x !== 'object') return x;
    const c = { ...(x as Resource) };
    const sk = keyOf(c, sub);
    if (sk !== undefined) delete c[sk];
    return c;
  };
  if (Array.isArray(v)) o[k] = v.map(strip);
  else if (v && typeof v === 'object') o[k] = strip(v);
}

/**
 * The shaping the request asks for, from its query (or a /.search body turned into one), or
 * null for the full default representation. Throws a 400 (invalidSyntax / invalidPath) on bad input.
 */
export function projection(q: { attributes?: unknown; excludedAttributes?: unknown }): ((r: Resource) => Resource) | null {
  const only = parseList(q.attributes);
  const without = parseList(q.excludedAttributes);
  if (only && without) throw new ScimHttpError(400, 'attributes and excludedAttributes are mutually exclusive (RFC 7644 §3.4.2.5)', 'invalidSyntax');
  if (only)
    return (r) => {
      const out: Resource = {};
      for (const k of Object.keys(r)) if (ALWAYS.has(k)) out[k] = r[k];
      for (const p of only) copyPath(r, out, p);
      return out;
    };
  if (without)
    return (r) => {
      const out: Resource = structuredClone(r);
      for (const p of without) dropPath(out, p);
      return out;
    };
  return null;
}

/** Apply a projection (or none) to one resource. */
export const shape = <T>(p: ((r: Resource) => Resource) | null, r: T): T => (p ? (p(r as Resource) as T) : r);
