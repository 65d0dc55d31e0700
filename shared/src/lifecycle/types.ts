/**
 * The OS lifecycle table's shape: one entry per release (and, for Windows, per servicing
 * channel), with the day its vendor stops shipping security updates and where that is
 * published. Dates are ISO days (UTC). The policy may add or override entries with the
 * same shape (schema below), e.g. for a paid extended-support contract the agent cannot see.
 */
import { Type, type Static } from '@sinclair/typebox';

/**
 * Release families the table knows. Linux families are os-release `ID`s (rebuilds keep
 * their own vendor's dates); `windows` is the client, `windows-server` the server line.
 */
export const FAMILIES = [
  'windows',
  'windows-server',
  'macos',
  'ubuntu',
  'debian',
  'rhel',
  'centos',
  'rocky',
  'almalinux',
  'ol',
  'fedora',
  'sles',
  'opensuse-leap',
  'opensuse-tumbleweed',
  'arch',
] as const;
export type Family = (typeof FAMILIES)[number];

/** Windows servicing channel: Home/Pro, Enterprise/Education, and the long-term channel (LTSB/LTSC). */
export type WindowsEdition = 'home-pro' | 'enterprise' | 'ltsc';

export type ExtendedKind = 'ubuntu-pro-esm' | 'windows-esu';

export interface LifecycleEntry {
  family: Family | string;
  /**
   * The key a machine's version maps to (see lookup.ts `releaseKey`): Windows build
   * (`19045`), macOS major (`14`, `10.15`), Ubuntu `22.04`, Debian/RHEL-likes/Fedora major,
   * SUSE `15.6`. `*` on a rolling family.
   */
  release: string;
  /** Human name: "Windows 10 22H2", "Ubuntu 18.04 LTS". */
  name: string;
  edition?: WindowsEdition;
  /**
   * Last day covered by free/vendor security updates (ISO date, UTC); from the next day on
   * the release is past end of support. null = open-ended as of the table's asOf (vendor has
   * not announced one yet: macOS, Fedora's newest); 'rolling' = no releases to age out.
   */
  end: string | null | 'rolling';
  /** Extended support the agent can verify on the machine, and until when it runs. */
  extended?: { kind: ExtendedKind; end: string; years?: string[] };
  /** Public page stating the date. */
  source: string;
  note?: string;
}

const IsoDay = Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', maxLength: 10 });

/** Policy entries: extend or override the built-in table (matched on family + release + edition). */
export const LifecycleOverride = Type.Object(
  {
    family: Type.String({ minLength: 1, maxLength: 32, pattern: '^[a-z0-9-]+$' }),
    release: Type.String({ minLength: 1, maxLength: 32 }),
    name: Type.Optional(Type.String({ maxLength: 100 })),
    edition: Type.Optional(Type.Union([Type.Literal('home-pro'), Type.Literal('enterprise'), Type.Literal('ltsc')])),
    end: Type.Union([IsoDay, Type.Null(), Type.Literal('rolling')]),
    source: Type.Optional(Type.String({ maxLength: 500 })),
    note: Type.Optional(Type.String({ maxLength: 300 })),
  },
  { additionalProperties: false },
);
export type LifecycleOverride = Static<typeof LifecycleOverride>;

export const LifecyclePolicy = Type.Object(
  {
    /** Entries added to or replacing the built-in table. */
    releases: Type.Optional(Type.Array(LifecycleOverride, { maxItems: 500 })),
    /** Count verified extended support (Ubuntu Pro ESM, Windows ESU) as supported. Default true. */
    allowExtendedSupport: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type LifecyclePolicy = Static<typeof LifecyclePolicy>;
