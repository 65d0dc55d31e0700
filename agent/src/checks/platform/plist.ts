/**
 * A small XML property-list reader for what macOS tools print with -plist / -xml or
 * `plutil -convert xml1 -o -` (binary plists are converted by plutil first).
 * Supports dict, array, string, integer, real, true, false, date and data.
 */

export type PlistValue = string | number | boolean | Date | PlistValue[] | { [k: string]: PlistValue } | null;

const ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&', '&quot;': '"', '&apos;': "'" };
const unescape = (s: string) => s.replace(/&(lt|gt|amp|quot|apos);/g, (e) => ENTITIES[e]);

export function parsePlist(xml: string): PlistValue | undefined {
  const tokens = xml.replace(/<\?xml[^>]*\?>|<!DOCTYPE[^>]*>|<!--[\s\S]*?-->/g, '').match(/<[^>]+>|[^<]+/g);
  if (!tokens) return undefined;
  let i = 0;
  const next = () => tokens[i++];
  const skipWs = () => {
    while (i < tokens.length && !tokens[i].startsWith('<') && !tokens[i].trim()) i++;
  };
  const text = (tag: string): string => {
    let s = '';
    while (i < tokens.length && tokens[i] !== `</${tag}>`) s += tokens[i++];
    i++;
    return unescape(s);
  };
  const value = (): PlistValue | undefined => {
    skipWs();
    const t = next();
    if (t === undefined) return undefined;
    if (/^<(true|false)\s*\/>$/.test(t)) return t.startsWith('<true');
    if (/^<(string|dict|array|data)\s*\/>$/.test(t)) return t.startsWith('<dict') ? {} : t.startsWith('<array') ? [] : '';
    const tag = /^<(\w+)(?:\s[^>]*)?>$/.exec(t)?.[1];
    switch (tag) {
      case 'plist':
        return value();
      case 'string':
      case 'data':
        return text(tag);
      case 'integer':
      case 'real':
        return Number(text(tag));
      case 'date':
        return new Date(text(tag));
      case 'array': {
        const arr: PlistValue[] = [];
        for (;;) {
          skipWs();
          if (tokens[i] === '</array>' || i >= tokens.length) break;
          const v = value();
          if (v === undefined) break;
          arr.push(v);
        }
        i++;
        return arr;
      }
      case 'dict': {
        const obj: Record<string, PlistValue> = {};
        for (;;) {
          skipWs();
          if (tokens[i] === '</dict>' || i >= tokens.length) break;
          if (next() !== '<key>') return undefined;
          const k = text('key');
          const v = value();
          if (v === undefined) return undefined;
          obj[k] = v;
        }
        i++;
        return obj;
      }
      default:
        return undefined;
    }
  };
  return value();
}

export function asDict(v: PlistValue | undefined): Record<string, PlistValue> | null {
  return v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) ? (v as Record<string, PlistValue>) : null;
}
