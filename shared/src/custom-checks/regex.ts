/**
 * Regular expressions from policies run on RE2 (re2js): matching time is linear in the
 * input, so a pattern like `(a+)+$` cannot hang the agent on a crafted file, whatever the
 * policy says. Patterns are compiled once and cached; the program size is bounded so a
 * pattern cannot blow up memory either (`(x{1000}){1000}`).
 */
import { RE2JS } from 're2js';
import { MAX_REGEX_LENGTH } from './schema.js';

/** RE2 program instructions allowed per pattern. A 200-char sshd pattern compiles to ~100. */
export const MAX_REGEX_PROGRAM = 20_000;
const cache = new Map<string, RE2JS>();

export type CompiledRegex = { ok: true; re: RE2JS } | { ok: false; error: string };

/** Compile (multiline; optional case-insensitive); a clear error instead of a throw. */
export function compileRegex(pattern: string, ignoreCase = false): CompiledRegex {
  const key = `${ignoreCase ? 'i' : '-'}${pattern}`;
  const hit = cache.get(key);
  if (hit) return { ok: true, re: hit };
  if (pattern.length > MAX_REGEX_LENGTH) return { ok: false, error: `regular expression longer than ${MAX_REGEX_LENGTH} characters` };
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern, RE2JS.MULTILINE | (ignoreCase ? RE2JS.CASE_INSENSITIVE : 0));
  } catch (e) {
    return { ok: false, error: `not a valid RE2 regular expression (${String((e as Error).message).slice(0, 200)})` };
  }
  if (re.programSize() > MAX_REGEX_PROGRAM) return { ok: false, error: `regular expression too complex (${re.programSize()} > ${MAX_REGEX_PROGRAM} RE2 instructions)` };
  if (cache.size > 256) cache.clear();
  cache.set(key, re);
  return { ok: true, re };
}

/** First match in `text`: the whole match and group 1 (when the pattern has one). */
export function findFirst(re: RE2JS, text: string): { matched: boolean; capture: string | null } {
  const m = re.matcher(text);
  if (!m.find()) return { matched: false, capture: null };
  const g = re.groupCount() > 0 ? m.group(1) : m.group(0);
  return { matched: true, capture: g === null ? null : g.slice(0, 200) };
}
