/**
 * Parse untrusted JSON text with a depth limit. JSON.parse itself is safe against
 * deep nesting only up to the stack; we refuse anything deeper than the protocol needs
 * before building the object graph, so a 100k-deep "[[[[" cannot cost us a stack.
 */
export function jsonDepthExceeds(text: string, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
      continue;
    }
    if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > maxDepth) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

export function parseJsonLimited(text: string, maxDepth: number): Parsed {
  if (jsonDepthExceeds(text, maxDepth)) return { ok: false, error: `JSON nested deeper than ${maxDepth}` };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, error: `invalid JSON: ${(e as Error).message.slice(0, 120)}` };
  }
}
