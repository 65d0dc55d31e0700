/**
 * Parse a policy file (YAML or JSON; JSON is YAML) and validate it, reporting problems
 * with line numbers so a reviewer can fix the file without guessing.
 */
import { LineCounter, parseDocument } from 'yaml';
import { compile } from '../schema/validate.js';
import { Policy } from './schema.js';
import { TypeCompiler } from '@sinclair/typebox/compiler';

const checker = TypeCompiler.Compile(Policy);
export const policyValidator = compile(Policy);

export type PolicyLoad = { ok: true; policy: Policy } | { ok: false; errors: string[] };

export function parsePolicy(text: string, sourceName = 'policy'): PolicyLoad {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length) {
    return {
      ok: false,
      errors: doc.errors.slice(0, 5).map((e) => {
        // yaml fills linePos only with prettyErrors; derive it from the offset otherwise.
        const pos = e.linePos?.[0] ?? (e.pos ? lc.linePos(e.pos[0]) : undefined);
        return `${sourceName}${pos ? `:${pos.line}:${pos.col}` : ''}: ${e.message.split('\n')[0]}`;
      }),
    };
  }
  const value = doc.toJS();
  if (checker.Check(value)) return { ok: true, policy: value };
  const errors: string[] = [];
  for (const e of checker.Errors(value)) {
    const path = e.path.split('/').filter(Boolean).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    // Point at the offending node, or at its nearest existing parent when the key is missing.
    let line: number | null = null;
    for (let n = path.length; n >= 0 && line === null; n--) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node && node.range) line = lc.linePos(node.range[0]).line;
    }
    const msg = `${sourceName}${line ? `:${line}` : ''}: ${e.path || '/'} ${e.message}`;
    if (!errors.includes(msg)) errors.push(msg);
    if (errors.length >= 8) break;
  }
  return { ok: false, errors };
}
