/**
 * Check ids. A check id is either one of the six built-in checks or a customer-defined
 * custom check `custom.<slug>` declared in the policy's `customChecks` (see
 * shared/src/custom-checks/). Ids are stable: they appear in stored reports, policies and
 * evidence. Which ids apply to a device is a property of the policy in force: iterate over
 * `policyCheckIds(policy)` (shared/src/checks/catalogue.ts), never over a fixed list, unless
 * the code is about the built-in checks only (their specs, facts and judges).
 */
import { Type } from '@sinclair/typebox';

/** The six built-in posture checks, in display order. */
export const BUILTIN_CHECK_IDS = [
  'disk_encryption',
  'firewall',
  'antivirus',
  'patch_level',
  'usb_storage',
  'screen_lock',
] as const;

export type BuiltinCheckId = (typeof BUILTIN_CHECK_IDS)[number];
/** A customer-defined check: `custom.` + a lower-case slug (letters, digits, dashes). */
export type CustomCheckId = `custom.${string}`;
/** Any check id: built-in or custom. */
export type CheckId = BuiltinCheckId | CustomCheckId;

/**
 * @deprecated Built-in checks only. Code that lists a device's checks must use
 * `policyCheckIds(policy)` so custom checks are included; use BUILTIN_CHECK_IDS where only the
 * built-ins are meant.
 */
export const CHECK_IDS = BUILTIN_CHECK_IDS;

export const CHECK_TITLES: Record<BuiltinCheckId, string> = {
  disk_encryption: 'Disk encryption',
  firewall: 'Firewall',
  antivirus: 'Antivirus / EDR',
  patch_level: 'OS patch level',
  usb_storage: 'USB storage control',
  screen_lock: 'Screen lock',
};

/** Slug rules: 1-48 chars, lower-case letters, digits and inner dashes. Total id ≤ 55 chars. */
export const CUSTOM_CHECK_ID_PATTERN = '^custom\\.[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?$';
const CUSTOM_RE = new RegExp(CUSTOM_CHECK_ID_PATTERN);
export const CHECK_ID_MAX_LENGTH = 55;

export function isBuiltinCheckId(v: unknown): v is BuiltinCheckId {
  return typeof v === 'string' && (BUILTIN_CHECK_IDS as readonly string[]).includes(v);
}

export function isCustomCheckId(v: unknown): v is CustomCheckId {
  return typeof v === 'string' && v.length <= CHECK_ID_MAX_LENGTH && CUSTOM_RE.test(v);
}

/** Well-formed check id (built-in, or a syntactically valid custom id; whether the policy declares it is another question). */
export function isCheckId(v: unknown): v is CheckId {
  return isBuiltinCheckId(v) || isCustomCheckId(v);
}

/** Schema for a check id at any boundary (reports, commands, API filters, exclusions). */
export const CheckIdSchema = Type.Unsafe<CheckId>(
  Type.String({ maxLength: CHECK_ID_MAX_LENGTH, pattern: `^(?:${BUILTIN_CHECK_IDS.join('|')}|custom\\.[a-z0-9](?:[a-z0-9-]{0,46}[a-z0-9])?)$` }),
);

export const PLATFORMS = ['linux', 'darwin', 'win32'] as const;

/** Platform names as people say them, for pages and CSV headers ("darwin" is macOS to a help desk). */
export const PLATFORM_NAMES: Record<string, string> = { linux: 'Linux', darwin: 'macOS', win32: 'Windows' };

/** `platformName('darwin')` → "macOS"; an unknown id is returned as it is. */
export const platformName = (p: string | null | undefined): string => (p ? (PLATFORM_NAMES[p] ?? p) : '');
export type Platform = (typeof PLATFORMS)[number];
