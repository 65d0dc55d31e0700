/**
 * What the store can hold, checked at every boundary so a value that passes the schema can
 * never fail later in the database (where it would look like a transient error and be retried
 * for ever). PostgreSQL and PGlite refuse, in text and jsonb alike:
 * - U+0000 (NUL): "invalid byte sequence for encoding UTF8: 0x00" / "unsupported Unicode escape sequence";
 * - a lone UTF-16 surrogate (not encodable as UTF-8);
 * and a bigint column holds integers in [-2^63, 2^63-1] only, so any number whose magnitude
 * reaches 2^63 is refused wherever it appears (no probe value comes near it).
 * Impossible calendar dates are refused by the `date-time` format (formats.ts).
 */

/** The first value the store cannot hold, as a JSON-pointer-like path and a reason; null when all is storable. */
export interface Unstorable {
  path: string;
  problem: string;
}

const LIMIT = 2 ** 63;
/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const wellFormed = (s: string) => s.replace(LONE_SURROGATE, '\uFFFD');

/** The same pattern without the global flag, for a stateless test() (a /g regex keeps lastIndex). */
const HAS_LONE_SURROGATE = new RegExp(LONE_SURROGATE.source);

/** Why this string cannot be stored, or null. */
export function unstorableString(s: string): string | null {
  if (s.includes('\u0000')) return 'contains a NUL character (U+0000), which cannot be stored';
  if (HAS_LONE_SURROGATE.test(s)) return 'contains a lone UTF-16 surrogate (invalid Unicode), which cannot be stored';
  return null;
}

/**
 * Walk a JSON-shaped value (strings, numbers, arrays, plain objects; keys included) and return
 * the first part the store cannot hold. Bounded by the caller's depth limit on parsing.
 * Every report passes through here on the collector, so the walk allocates nothing for a
 * storable value: the path is only built, from the innermost part outwards, on a failure.
 */
export function findUnstorable(value: unknown, path = ''): Unstorable | null {
  const bad = walk(value);
  if (!bad) return null;
  const full = path + bad.segments.reverse().join('');
  return { path: full || '/', problem: bad.problem };
}

interface Bad {
  /** Path segments ("/name", "/3"), innermost first. */
  segments: string[];
  problem: string;
}

function walk(value: unknown): Bad | null {
  if (typeof value === 'string') {
    const p = unstorableString(value);
    return p ? { segments: [], problem: p } : null;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return { segments: [], problem: 'is not a finite number' };
    if (Math.abs(value) >= LIMIT) return { segments: [], problem: 'is outside the storable integer range (-2^63 .. 2^63-1)' };
    return null;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const r = walk(value[i]);
      if (r) {
        r.segments.push(`/${i}`);
        return r;
      }
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const k in value) {
      if (!Object.prototype.hasOwnProperty.call(value, k)) continue;
      const kp = unstorableString(k);
      if (kp) return { segments: [`/${escapeKey(k)}`], problem: `key ${kp}` };
      const r = walk((value as Record<string, unknown>)[k]);
      if (r) {
        r.segments.push(`/${escapeKey(k)}`);
        return r;
      }
    }
  }
  return null;
}

/** Path segment for a key, with the characters that would make the message itself unprintable replaced. */
function escapeKey(k: string): string {
  return k.replaceAll('\u0000', '\\u0000').replace(LONE_SURROGATE, '\\uFFFD').slice(0, 64);
}

/**
 * A storable copy of probe output: NULs removed and lone surrogates replaced by U+FFFD, so the
 * agent signs exactly what the collector can store (a command that prints a NUL is still
 * reported, minus the NUL). Numbers beyond the range are left alone: they are a bug to see.
 */
export function toStorable<T>(value: T): T {
  if (typeof value === 'string') return wellFormed(value.replaceAll('\u0000', '')) as T;
  if (Array.isArray(value)) return value.map((v) => toStorable(v)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[toStorable(k)] = toStorable(v);
    return out as T;
  }
  return value;
}
