/** Asset inventory as the agent collects it (systeminformation) and the collector stores it. */
import { createHash } from 'node:crypto';
import { Type, type Static } from '@sinclair/typebox';

const Str = (max = 256) => Type.String({ maxLength: max });
const OptStr = (max = 256) => Type.Optional(Type.Union([Str(max), Type.Null()]));
const OptNum = () => Type.Optional(Type.Union([Type.Number(), Type.Null()]));

export const Inventory = Type.Object(
  {
    hostname: Str(255),
    os: Type.Object(
      {
        platform: Str(32), // 'linux' | 'darwin' | 'win32' (node's process.platform)
        distro: OptStr(),
        release: OptStr(),
        build: OptStr(),
        kernel: OptStr(),
        arch: OptStr(32),
      },
      { additionalProperties: false },
    ),
    hardware: Type.Object(
      {
        vendor: OptStr(),
        model: OptStr(),
        serial: OptStr(),
        uuid: OptStr(),
      },
      { additionalProperties: false },
    ),
    cpu: Type.Object(
      { brand: OptStr(), cores: OptNum(), physicalCores: OptNum() },
      { additionalProperties: false },
    ),
    memoryBytes: OptNum(),
    disks: Type.Array(
      Type.Object(
        { name: Str(), type: OptStr(64), sizeBytes: OptNum(), vendor: OptStr(), serial: OptStr() },
        { additionalProperties: false },
      ),
      { maxItems: 64 },
    ),
    network: Type.Array(
      Type.Object(
        { iface: Str(128), mac: OptStr(64), ip4: OptStr(64), ip6: OptStr(128), internal: Type.Optional(Type.Boolean()) },
        { additionalProperties: false },
      ),
      { maxItems: 128 },
    ),
    users: Type.Array(Str(128), { maxItems: 64 }),
    software: Type.Optional(
      Type.Array(Type.Object({ name: Str(256), version: OptStr(128) }, { additionalProperties: false }), {
        maxItems: 5000,
      }),
    ),
    /**
     * softwareListHash() of the installed-software list. Sent only to a collector that
     * announced FEATURE_SOFTWARE_DELTA; a report may then carry the hash without the list,
     * meaning "unchanged since the list I last sent with this hash" (the collector keeps it).
     */
    softwareHash: Type.Optional(Type.String({ pattern: '^[0-9a-f]{64}$' })),
  },
  { additionalProperties: false },
);
export type Inventory = Static<typeof Inventory>;

/**
 * SHA-256 (lower-case hex) of a software list, over its JSON in the agent's order: the agent
 * lists packages in a stable order (the package database's), so an unchanged list hashes the same.
 */
export function softwareListHash(software: NonNullable<Inventory['software']>): string {
  return createHash('sha256')
    .update(JSON.stringify(software.map((s) => [s.name, s.version ?? null])))
    .digest('hex');
}
