/**
 * A rule-based group's rule and how a device matches it. Every condition given must hold
 * (AND); a list matches when any of its values does (OR). Comparisons are case-insensitive.
 * The hostname pattern is an RE2 regular expression (re2js: linear time, so a policy author
 * cannot hang the collector with `(a+)+$`), matched against the whole hostname.
 */
import { Type, type Static } from '@sinclair/typebox';
import { compileRegex } from '#shared/custom-checks/regex.js';

const Values = (max: number) => Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: max });

export const GroupRule = Type.Object(
  {
    /** linux, darwin, win32 */
    platform: Type.Optional(Type.Array(Type.Union([Type.Literal('linux'), Type.Literal('darwin'), Type.Literal('win32')]), { minItems: 1, maxItems: 3 })),
    /** The owner is a member of one of these identity-provider (SCIM) groups, by display name. */
    idpGroup: Type.Optional(Values(50)),
    /** The owner's department (from the IdP or the People page). */
    department: Type.Optional(Values(50)),
    /** RE2 pattern the whole hostname must match, e.g. `srv-.*` or `(web|db)[0-9]+`. */
    hostname: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    /** A tag given at enrolment (`posture-agent enroll --tag T`). */
    tag: Type.Optional(Values(20)),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type GroupRule = Static<typeof GroupRule>;

/** What a rule is matched against, per device. */
export interface DeviceFacts {
  platform: string;
  hostname: string;
  tags: readonly string[];
  /** The owner's department, when the device has an owner (a person). */
  department: string | null;
  /** Display names of the owner's IdP groups. */
  idpGroups: readonly string[];
}

/** A problem with a rule the schema cannot see (the hostname pattern must compile under RE2). */
export function ruleProblem(rule: GroupRule): string | null {
  if (rule.hostname === undefined) return null;
  const c = compileRegex(`^(?:${rule.hostname})$`, true);
  return c.ok ? null : `rule.hostname: ${c.error}`;
}

const anyOf = (want: readonly string[] | undefined, have: readonly (string | null)[]) => {
  if (!want) return true;
  const h = new Set(have.filter((x): x is string => !!x).map((x) => x.toLowerCase()));
  return want.some((w) => h.has(w.toLowerCase()));
};

/** Whether the device matches the rule. A pattern that does not compile matches nothing. */
export function matchesRule(rule: GroupRule, d: DeviceFacts): boolean {
  if (rule.platform && !rule.platform.includes(d.platform as 'linux')) return false;
  if (!anyOf(rule.idpGroup, d.idpGroups)) return false;
  if (!anyOf(rule.department, [d.department])) return false;
  if (!anyOf(rule.tag, d.tags)) return false;
  if (rule.hostname !== undefined) {
    const c = compileRegex(`^(?:${rule.hostname})$`, true);
    if (!c.ok || !c.re.matcher(d.hostname).matches()) return false;
  }
  return true;
}
