/** Asset inventory as the agent collects it (systeminformation) and the collector stores it. */
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
  },
  { additionalProperties: false },
);
export type Inventory = Static<typeof Inventory>;
