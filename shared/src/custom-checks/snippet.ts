/**
 * Policy snippets (policies/*.yaml): a `customChecks:` list without the rest of a policy.
 * withDefaultPolicy() makes one a complete policy text (the built-in default first, the
 * snippet after it), so it loads through the same parsePolicy() with line-numbered errors;
 * `lineOffset` maps reported lines back to the snippet's own.
 */
import { stringify } from 'yaml';
import { DEFAULT_POLICY } from '../policy/default-policy.js';
import { parsePolicy, type PolicyLoad } from '../policy/load.js';

/** True when the text is a snippet (no top-level `version:`), not a full policy. */
export function isSnippet(text: string): boolean {
  return !/^version\s*:/m.test(text) && !/^\s*\{?\s*"version"\s*:/m.test(text);
}

export function withDefaultPolicy(snippet: string): { text: string; lineOffset: number } {
  const head = stringify(DEFAULT_POLICY);
  return { text: `${head}${snippet}`, lineOffset: head.split('\n').length - 1 };
}

/** Load a full policy or a snippet; errors name lines of `text` itself. */
export function parsePolicyOrSnippet(text: string, sourceName: string): PolicyLoad {
  if (!isSnippet(text)) return parsePolicy(text, sourceName);
  const { text: full, lineOffset } = withDefaultPolicy(text);
  const r = parsePolicy(full, sourceName);
  if (r.ok) return r;
  const esc = sourceName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return { ok: false, errors: r.errors.map((e) => e.replace(new RegExp(`^${esc}:(\\d+)`), (_m, n) => `${sourceName}:${Math.max(1, Number(n) - lineOffset)}`)) };
}
