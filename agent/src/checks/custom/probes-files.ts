/** File probes: file (exists/mode/owner), file-content (RE2 match), config-key (INI/JSON/YAML/plist). */
import type { ProbeOf } from '../../../../shared/src/custom-checks/schema.js';
import { DEFAULT_FILE_BYTES } from '../../../../shared/src/custom-checks/schema.js';
import { compileRegex, findFirst } from '../../../../shared/src/custom-checks/regex.js';
import type { ProbeContext } from '../types.js';
import { readBounded, statPath } from './fs.js';
import { configGet } from './parse.js';
import type { ProbeObservation } from './types.js';

/** uid → user name from the root's /etc/passwd (for `owner`); null when not listed. */
async function userName(ctx: ProbeContext, uid: number): Promise<string | null> {
  if (ctx.platform === 'win32') return null;
  const r = await readBounded('/etc/passwd', ctx.root, 1024 * 1024);
  if (!r.ok) return null;
  const line = r.value.text.split('\n').find((l) => l.split(':')[2] === String(uid));
  return line ? line.split(':')[0] : null;
}

export async function probeFile(p: ProbeOf<'file'>, ctx: ProbeContext): Promise<ProbeObservation> {
  const s = await statPath(p.path, ctx.root);
  if (!s.ok) {
    // "Absent" is an observation for this kind (exists = false), not a missing target.
    if (s.missing) return { missing: false, observed: { exists: false, type: null, mode: null, uid: null, gid: null, owner: null, size: null }, reason: s.error };
    return { missing: false, observed: null, reason: s.error };
  }
  const owner = await userName(ctx, s.value.uid);
  return { missing: false, observed: { exists: true, ...s.value, owner } };
}

export async function probeFileContent(p: ProbeOf<'file-content'>, ctx: ProbeContext): Promise<ProbeObservation> {
  const re = compileRegex(p.match, p.ignoreCase);
  if (!re.ok) return { missing: false, observed: null, reason: `match: ${re.error}` };
  const r = await readBounded(p.path, ctx.root, p.maxBytes ?? DEFAULT_FILE_BYTES);
  if (!r.ok) return { missing: r.missing, observed: null, reason: r.error };
  const m = findFirst(re.re, r.value.text);
  // A match in the part read counts; no match in a truncated file is not proof of absence.
  if (!m.matched && r.value.truncated) return { missing: false, observed: null, reason: `${p.path} is larger than ${p.maxBytes ?? DEFAULT_FILE_BYTES} bytes; no match in the part read` };
  return { missing: false, observed: { exists: true, matched: m.matched, capture: m.capture }, detail: r.value.truncated ? { truncated: true } : undefined };
}

export async function probeConfigKey(p: ProbeOf<'config-key'>, ctx: ProbeContext): Promise<ProbeObservation> {
  const r = await readBounded(p.path, ctx.root, p.maxBytes ?? DEFAULT_FILE_BYTES);
  if (!r.ok) return { missing: r.missing, observed: null, reason: r.error };
  if (r.value.truncated) return { missing: false, observed: null, reason: `${p.path} is larger than ${p.maxBytes ?? DEFAULT_FILE_BYTES} bytes` };
  let text = r.value.text;
  if (p.format === 'plist' && text.startsWith('bplist')) {
    // Binary plist: plutil converts to XML on stdout (read-only; live system only).
    if (ctx.root) return { missing: false, observed: null, reason: 'binary property lists are read only on the live system (no root prefix)' };
    const c = await ctx.run('plutil', ['-convert', 'xml1', '-o', '-', '--', p.path]);
    if (!c.ok) return { missing: false, observed: null, reason: `plutil could not convert ${p.path}` };
    text = c.stdout;
  }
  const keyPath = p.keyPath ?? (p.key ?? '').split('.');
  const got = configGet(text, p.format, keyPath);
  if (got.error) return { missing: false, observed: null, reason: `${p.path}: ${got.error}` };
  if (!got.found) return { missing: true, observed: null, reason: `${keyPath.join('.')} not set in ${p.path}` };
  return { missing: false, observed: { value: got.value } };
}
