/**
 * The policy's `people:` section: what happens when an owner leaves, and whether every
 * device must have an owner. Its own file so the policy schema gains one line only.
 */
import { Type, type Static } from '@sinclair/typebox';

export const PeoplePolicy = Type.Object(
  {
    /** Days the help desk has to get a leaver's device returned or wiped (default 14). */
    offboardDeadlineDays: Type.Optional(Type.Integer({ minimum: 0, maximum: 365 })),
    /** "Device has an owner" as a requirement: without one the device is failing, then noncompliant. */
    ownerRequired: Type.Optional(Type.Boolean()),
    /** Hours an unowned device may stay unowned before it is noncompliant (default 72). */
    ownerGraceHours: Type.Optional(Type.Number({ minimum: 0, maximum: 24 * 365 })),
  },
  { additionalProperties: false },
);
export type PeoplePolicy = Static<typeof PeoplePolicy>;

export const DEFAULT_OFFBOARD_DEADLINE_DAYS = 14;
export const DEFAULT_OWNER_GRACE_HOURS = 72;
