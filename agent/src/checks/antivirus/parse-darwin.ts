/** macOS built-in protection: XProtect's bundle version and Gatekeeper's assessment state. */
import { asDict, parsePlist } from '../platform/plist.js';

/** XProtect.bundle/Contents/Info.plist (converted to XML) → version. */
export function parseXprotectVersion(xml: string): string | null {
  const d = asDict(parsePlist(xml));
  const v = d?.CFBundleShortVersionString ?? d?.CFBundleVersion;
  return typeof v === 'string' || typeof v === 'number' ? String(v) : null;
}

/** `spctl --status` → "assessments enabled" / "assessments disabled". */
export function parseSpctlStatus(text: string): boolean | null {
  return /assessments enabled/i.test(text) ? true : /assessments disabled/i.test(text) ? false : null;
}
