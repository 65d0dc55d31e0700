/**
 * Where a device's owner assignment came from, and which source may replace which.
 *
 * Order, most to least trusted:
 * - `admin`: an administrator or help-desk operator assigned it by hand (including CSV upload);
 *   it is a deliberate human decision and only another such decision changes it.
 * - `employee`: the employee claimed the device on its My-device page after signing in with
 *   the company SSO; the ID token proves who they are, the device link proves the device.
 * - `enrollment`: `posture-agent enroll --owner EMAIL` or an installer property; whoever holds
 *   the enrolment secret can write any address there, so it ranks below a signed-in claim.
 * - `idp`: assigned from provisioning data (a device attribute in the identity provider).
 * - `inferred`: the logged-in user from the last report; a hint only while nothing better exists.
 *
 * A source may replace an assignment of the same or a lower rank, never a higher one.
 */
export const OWNER_SOURCES = ['admin', 'employee', 'enrollment', 'idp', 'inferred'] as const;
export type OwnerSource = (typeof OWNER_SOURCES)[number];

/** Higher number = more trusted. */
export function ownerRank(s: OwnerSource | null | undefined): number {
  if (!s) return -1;
  return OWNER_SOURCES.length - OWNER_SOURCES.indexOf(s);
}

/** Whether an assignment from `next` may replace the current one from `current` (null = no owner). */
export function mayReplaceOwner(current: OwnerSource | null | undefined, next: OwnerSource): boolean {
  return ownerRank(next) >= ownerRank(current);
}

export const isOwnerSource = (v: unknown): v is OwnerSource => typeof v === 'string' && (OWNER_SOURCES as readonly string[]).includes(v);
