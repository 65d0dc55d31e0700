/**
 * Custom checks: controls the customer defines as data in the policy (`customChecks:`).
 * Each names a declarative, read-only probe per platform and a `pass` condition over what
 * the probe observed. Nothing here can carry a command, a script or a write: a probe kind
 * is one of PROBE_KINDS, each mapped by the agent to fixed reads (files under the root
 * prefix) or fixed allowlisted commands with the probe's fields as separate arguments.
 *
 * Shapes (see docs/custom-checks.md for every field and examples):
 *   { id: 'custom.<slug>', title, required?, graceHours?, controls?, remediation?,
 *     remediationUrl?, groups?, intervalSec?, pass?, probes: { linux?, darwin?, win32? } }
 * A platform without a probe is "not applicable" there (state not_required).
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { CHECK_ID_MAX_LENGTH, CUSTOM_CHECK_ID_PATTERN } from '../checks/ids.js';

/** Limits: a policy carries at most this many custom checks; a report at most 6 + this many results. */
export const MAX_CUSTOM_CHECKS = 32;
/** file-content reads at most this much by default, never more than MAX_FILE_BYTES. */
export const DEFAULT_FILE_BYTES = 256 * 1024;
export const MAX_FILE_BYTES = 4 * 1024 * 1024;
export const MAX_REGEX_LENGTH = 512;
/** Nesting depth of all/any/none. */
export const MAX_CONDITION_DEPTH = 4;

const Str = (max: number, extra: object = {}) => Type.String({ minLength: 1, maxLength: max, ...extra });
/** An absolute path (POSIX `/…` or Windows `C:\…`); `..` segments are refused by validate.ts. */
const AbsPath = Str(1024, { pattern: '^(?:/|[A-Za-z]:\\\\)' });
const Scalar = Type.Union([Type.String({ maxLength: 1024 }), Type.Number(), Type.Boolean()]);
const VersionStr = Str(64);
const Missing = Type.Optional(Type.Union([Type.Literal('pass'), Type.Literal('fail'), Type.Literal('unknown')]));
/** A dotted key path: `Section.Key` (INI), `a.b.0.c` (JSON/YAML/plist). Dots inside a name: use `keyPath`. */
const KeyName = Str(256);

/**
 * One comparison on one observed field (default field `value`). Several operators in one
 * leaf must all hold. `regex` is RE2 syntax (linear time; no backreferences or lookaround).
 */
export const ConditionLeaf = Type.Object(
  {
    field: Type.Optional(Str(32, { pattern: '^[a-zA-Z][a-zA-Z0-9]*$' })),
    equals: Type.Optional(Scalar),
    notEquals: Type.Optional(Scalar),
    in: Type.Optional(Type.Array(Scalar, { minItems: 1, maxItems: 64 })),
    regex: Type.Optional(Str(MAX_REGEX_LENGTH)),
    gt: Type.Optional(Type.Number()),
    gte: Type.Optional(Type.Number()),
    lt: Type.Optional(Type.Number()),
    lte: Type.Optional(Type.Number()),
    versionGt: Type.Optional(VersionStr),
    versionGte: Type.Optional(VersionStr),
    versionLt: Type.Optional(VersionStr),
    versionLte: Type.Optional(VersionStr),
    /** File mode: no permission bit outside this octal mask, e.g. '0644'. */
    modeAtMost: Type.Optional(Str(5, { pattern: '^0?[0-7]{3,4}$' })),
  },
  { additionalProperties: false },
);
export type ConditionLeaf = Static<typeof ConditionLeaf>;

export type Condition = ConditionLeaf | { all: Condition[] } | { any: Condition[] } | { none: Condition[] };
export const Condition = Type.Recursive((This) =>
  Type.Union([
    Type.Object({ all: Type.Array(This, { minItems: 1, maxItems: 16 }) }, { additionalProperties: false }),
    Type.Object({ any: Type.Array(This, { minItems: 1, maxItems: 16 }) }, { additionalProperties: false }),
    Type.Object({ none: Type.Array(This, { minItems: 1, maxItems: 16 }) }, { additionalProperties: false }),
    ConditionLeaf,
  ]),
  { $id: 'CustomCheckCondition' },
) as unknown as TSchema & { static: Condition };

const probe = <K extends string, P extends Record<string, TSchema>>(kind: K, props: P) =>
  Type.Object({ kind: Type.Literal(kind), ...props, pass: Type.Optional(Condition), missing: Missing }, { additionalProperties: false });

/** Every probe kind, with the fields its observation carries (what `pass` may test). */
export const PROBE_SCHEMAS = {
  /** Fields: exists, type ('file'|'dir'|'other'), mode ('0644'), uid, gid, owner, size. Default pass: exists = true. */
  file: probe('file', { path: AbsPath }),
  /** Fields: exists, matched, capture (group 1 or the whole match). Default pass: matched = true. `match` is a multiline RE2 expression. */
  'file-content': probe('file-content', {
    path: AbsPath,
    match: Str(MAX_REGEX_LENGTH),
    maxBytes: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_FILE_BYTES })),
    ignoreCase: Type.Optional(Type.Boolean()),
  }),
  /** Fields: value. A key in an INI, JSON, YAML or XML plist file. `missing` applies to file or key absent. */
  'config-key': probe('config-key', {
    path: AbsPath,
    format: Type.Union([Type.Literal('ini'), Type.Literal('json'), Type.Literal('yaml'), Type.Literal('plist')]),
    key: Type.Optional(KeyName),
    keyPath: Type.Optional(Type.Array(Str(256), { minItems: 1, maxItems: 16 })),
    maxBytes: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_FILE_BYTES })),
  }),
  /** Fields: value, type (REG_DWORD…). Windows registry value via `reg query`. */
  registry: probe('registry', {
    key: Str(512, { pattern: '^(HKLM|HKCU|HKU|HKCR|HKCC|HKEY_[A-Z_]+)\\\\[^\\x00]+$' }),
    value: Type.String({ maxLength: 256 }),
  }),
  /** Fields: value, source ('managed'|'defaults'). macOS managed preference (MDM profile) first, then `defaults read`. */
  defaults: probe('defaults', {
    domain: Str(256, { pattern: '^(?:[A-Za-z0-9][A-Za-z0-9._-]*|/[^\\x00]+)$' }),
    key: Str(256),
    /** Only the managed (MDM-enforced) value counts; a user-set value is ignored. */
    managedOnly: Type.Optional(Type.Boolean()),
  }),
  /** Fields: value (number when numeric). Linux reads /proc/sys under the root prefix; macOS runs `sysctl -n`. */
  sysctl: probe('sysctl', { name: Str(128, { pattern: '^[A-Za-z0-9_][A-Za-z0-9_.-]*$' }) }),
  /** Fields: value (GVariant printed form parsed: numbers, booleans, strings). GNOME `gsettings get`. */
  gsettings: probe('gsettings', {
    schema: Str(128, { pattern: '^[A-Za-z0-9][A-Za-z0-9.-]*$' }),
    key: Str(128, { pattern: '^[a-z0-9][a-z0-9-]*$' }),
  }),
  /**
   * Fields: installed, name, version. Any of `names` installed counts; version = the first found.
   * Managers: linux dpkg then rpm; darwin Homebrew Cellar then /Applications bundles; win32 installed programs (Uninstall keys).
   */
  package: probe('package', {
    names: Type.Array(Str(128, { pattern: '^[^\\x00/\\\\]+$' }), { minItems: 1, maxItems: 16 }),
    manager: Type.Optional(Type.Union([Type.Literal('dpkg'), Type.Literal('rpm'), Type.Literal('homebrew'), Type.Literal('apps'), Type.Literal('windows')])),
  }),
  /** Fields: running, count. Matches the process name exactly (Linux comm is 15 chars). */
  process: probe('process', { names: Type.Array(Str(128, { pattern: '^[^\\x00/]+$' }), { minItems: 1, maxItems: 16 }) }),
  /** Fields: enabled, running. systemd unit, launchd label, Windows service name. Default pass: both true. */
  service: probe('service', { name: Str(128, { pattern: '^[A-Za-z0-9@._:-]+$' }) }),
  /** Fields: listening. A TCP port in LISTEN state (IPv4 or IPv6). Default pass: listening = true. */
  port: probe('port', { port: Type.Integer({ minimum: 1, maximum: 65535 }), protocol: Type.Optional(Type.Literal('tcp')) }),
} as const;

export type ProbeKind = keyof typeof PROBE_SCHEMAS;
export const PROBE_KINDS = Object.keys(PROBE_SCHEMAS) as ProbeKind[];
export const Probe = Type.Union(Object.values(PROBE_SCHEMAS));
export type Probe = Static<typeof Probe>;
export type ProbeOf<K extends ProbeKind> = Extract<Probe, { kind: K }>;

const Controls = Type.Object(
  {
    soc2: Type.Optional(Type.Array(Str(16), { maxItems: 16 })),
    cis: Type.Optional(Type.Array(Str(16), { maxItems: 16 })),
    iso27001: Type.Optional(Type.Array(Str(16), { maxItems: 16 })),
  },
  { additionalProperties: false },
);

export const CustomCheck = Type.Object(
  {
    id: Type.Unsafe<`custom.${string}`>(Type.String({ maxLength: CHECK_ID_MAX_LENGTH, pattern: CUSTOM_CHECK_ID_PATTERN })),
    title: Str(120),
    description: Type.Optional(Type.String({ maxLength: 1000 })),
    required: Type.Optional(Type.Boolean()),
    graceHours: Type.Optional(Type.Number({ minimum: 0, maximum: 24 * 365 })),
    /** Run at most this often (seconds); between runs the agent reports its last result. Default: every cycle. */
    intervalSec: Type.Optional(Type.Integer({ minimum: 60, maximum: 7 * 86_400 })),
    controls: Type.Optional(Controls),
    remediation: Type.Optional(Type.Object({ steps: Type.Optional(Type.Array(Str(500), { maxItems: 12 })) }, { additionalProperties: false })),
    remediationUrl: Type.Optional(Type.String({ maxLength: 500 })),
    /** Device groups the check applies to (names as in the groups section); absent = every device. */
    groups: Type.Optional(Type.Array(Str(128), { maxItems: 64 })),
    /** Applies to every platform's probe unless the probe sets its own `pass`. */
    pass: Type.Optional(Condition),
    probes: Type.Object(
      { linux: Type.Optional(Probe), darwin: Type.Optional(Probe), win32: Type.Optional(Probe) },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
export type CustomCheck = Static<typeof CustomCheck>;

/** The policy section: ONE line in shared/src/policy/schema.ts references this. */
export const CustomChecks = Type.Array(CustomCheck, { maxItems: MAX_CUSTOM_CHECKS });
