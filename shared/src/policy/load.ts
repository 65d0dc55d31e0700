/**
 * Parse a policy file (YAML or JSON; JSON is YAML) and validate it, reporting problems
 * with line numbers so a reviewer can fix the file without guessing.
 */
import { LineCounter, parseDocument } from 'yaml';
import { compile } from '../schema/validate.js';
import { Policy } from './schema.js';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { customCheckProblems, customCheckSchemaErrors } from '../custom-checks/validate.js';
import { groupProblems } from './effective.js';

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
  // Point at the offending node, or at its nearest existing parent when the key is missing.
  const lineOf = (pointer: string): number | null => {
    const path = pointer.split('/').filter(Boolean).map((p) => (/^\d+$/.test(p) ? Number(p) : p));
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
      if (node && node.range) return lc.linePos(node.range[0]).line;
    }
    return null;
  };
  const errors: string[] = [];
  const add = (pointer: string, message: string) => {
    const line = lineOf(pointer);
    const msg = `${sourceName}${line ? `:${line}` : ''}: ${pointer || '/'} ${message}`;
    if (!errors.includes(msg) && errors.length < 8) errors.push(msg);
  };
  if (checker.Check(value)) {
    // What the schema cannot say (regexes compile under RE2, no '..' paths, unique ids, ...).
    for (const p of customCheckProblems(value.customChecks ?? [])) add(p.path, p.message);
    for (const p of groupProblems(value)) add(p.path, p.message);
    return errors.length ? { ok: false, errors } : { ok: true, policy: value };
  }
  const all = [...checker.Errors(value)];
  // The generic union error for a probe says little; explain custom checks piecewise.
  if (all.some((e) => e.path.startsWith('/customChecks'))) for (const p of customCheckSchemaErrors((value as { customChecks?: unknown }).customChecks)) add(p.path, p.message);
  for (const e of all) if (!e.path.startsWith('/customChecks')) add(e.path, e.message);
  return { ok: false, errors };
}
