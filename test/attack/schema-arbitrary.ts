/**
 * fast-check arbitraries generated from a route's own JSON schema (TypeBox), for the route
 * fuzz: mostly values that fit the schema's shape (so requests get past validation and reach
 * the handler and the store), seeded with the values issue 11 found stores refuse (NUL, lone
 * surrogates, impossible dates, integers beyond 2^63-1), plus wrong types and extra keys.
 */
import fc from 'fast-check';

type S = Record<string, any>;

/** Strings that broke something once, or are known to break stores, parsers and redirects. */
export const NASTY_STRINGS = [
  '', ' ', '\u0000', 'a\u0000b', '\ud800', '\udfff', 'x\ud83d', '😀', '2026-02-30T00:00:00Z', '2025-02-29T00:00:00Z', '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59Z', '2026-01-01T24:00:00Z', '1e400', '-0', 'NaN', 'null', 'true', '[]', '{}', '../../etc/passwd', '%00', '%ZZ', '\\', '//evil.example',
  '/\\evil.example', "'; DROP TABLE devices; --", '<script>alert(1)</script>', 'a'.repeat(5000), '9223372036854775808', '-9223372036854775809',
  '__proto__', 'constructor', 'dev_nonexistent', '\r\nX-Injected: 1', '\u202e', '\ufeff',
];

const NASTY_NUMBERS = [0, -1, 1, 2 ** 31, 2 ** 53, 2 ** 63, -(2 ** 63) - 4096, 2 ** 64, 1e300, -1e300, 0.5, Number.MAX_SAFE_INTEGER];

/** Any JSON value (the wrong type anywhere). */
export const anyJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(...NASTY_STRINGS),
  fc.constantFrom(...NASTY_NUMBERS),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 40 }),
  fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 }),
);

function stringArb(s: S): fc.Arbitrary<string> {
  const max = Math.min(s.maxLength ?? 64, 300);
  const min = Math.min(s.minLength ?? 0, max);
  const choices: fc.Arbitrary<string>[] = [fc.string({ minLength: min, maxLength: max, unit: 'grapheme' }), fc.constantFrom(...NASTY_STRINGS)];
  if (s.format === 'date-time')
    choices.push(
      fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
      fc.tuple(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 25 })).map(
        ([y, m, d, h]) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}T${String(h).padStart(2, '0')}:00:00Z`,
      ),
    );
  if (s.pattern === '^[a-f0-9]{64}$') choices.push(fc.stringMatching(/^[a-f0-9]{64}$/));
  else if (s.pattern) choices.push(fc.stringMatching(new RegExp(s.pattern)).filter((x) => x.length <= max));
  return fc.oneof(...choices);
}

/** An arbitrary for one schema node; `depth` bounds recursion. */
export function fromSchema(s: S | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!s || depth > 6) return anyJson;
  const shaped = shapedFromSchema(s, depth);
  // One time in ten, the wrong thing entirely.
  return fc.oneof({ arbitrary: shaped, weight: 9 }, { arbitrary: anyJson, weight: 1 });
}

function shapedFromSchema(s: S, depth: number): fc.Arbitrary<unknown> {
  if (s.const !== undefined) return fc.constant(s.const);
  if (Array.isArray(s.anyOf)) return fc.oneof(...s.anyOf.map((x: S) => fromSchema(x, depth + 1)));
  if (Array.isArray(s.enum)) return fc.constantFrom(...s.enum);
  switch (s.type) {
    case 'string':
      return stringArb(s);
    case 'integer':
      return fc.oneof(fc.integer({ min: s.minimum ?? -1000, max: Math.min(s.maximum ?? 1_000_000, 2 ** 31) }), fc.constantFrom(...NASTY_NUMBERS));
    case 'number':
      return fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(...NASTY_NUMBERS));
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(fromSchema(s.items, depth + 1), { maxLength: Math.min(s.maxItems ?? 4, 4) });
    case 'object': {
      const props: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries((s.properties ?? {}) as Record<string, S>)) props[k] = fromSchema(v, depth + 1);
      const required = new Set<string>(s.required ?? []);
      const base = fc.record(props, { requiredKeys: [...required].filter((k) => k in props) });
      const extra = s.patternProperties ? fc.dictionary(fc.constantFrom('k', 'x\u0000', 'long'.repeat(20), '__proto__'), fromSchema(Object.values(s.patternProperties)[0] as S, depth + 1), { maxKeys: 3 }) : fc.constant({});
      return fc.tuple(base, extra, fc.option(fc.dictionary(fc.constantFrom('extra', '\u0000', 'constructor'), anyJson, { maxKeys: 1 }), { freq: 8 })).map(([b, e, x]) => ({ ...e, ...b, ...(x ?? {}) }));
    }
    default:
      return anyJson;
  }
}

/** A query-string or path value as text (how a browser or script sends it). */
export const asParam = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v) ?? '');
