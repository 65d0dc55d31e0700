/**
 * `reg query` output → keys and typed values. reg.exe prints value types (REG_DWORD, ...)
 * and hex data the same in every display language, which is why the Windows probes read
 * settings through it rather than through localized tool output.
 */

export type RegValue = { type: string; data: string | number };
export type RegKeys = Record<string, Record<string, RegValue>>;

export function parseRegQuery(text: string): RegKeys {
  const out: RegKeys = {};
  let key: string | null = null;
  for (const raw of text.split(/\r?\n/)) {
    if (/^HKEY_/.test(raw)) {
      key = raw.trim().toUpperCase();
      out[key] ??= {};
      continue;
    }
    const m = /^\s{2,}(.*?)\s{2,}(REG_\w+)(?:\s{2,}(.*))?$/.exec(raw);
    if (!m || !key) continue;
    const [, name, type, data = ''] = m;
    const value: string | number = type === 'REG_DWORD' || type === 'REG_QWORD' ? parseInt(data, 16) : data.trim();
    out[key][name === '(Default)' ? '' : name] = { type, data: value };
  }
  return out;
}

/** Case-insensitive lookup of one value's data. */
export function regGet(keys: RegKeys, key: string, name: string): string | number | undefined {
  const k = keys[key.toUpperCase()];
  if (!k) return undefined;
  const hit = Object.keys(k).find((n) => n.toLowerCase() === name.toLowerCase());
  return hit === undefined ? undefined : k[hit].data;
}
