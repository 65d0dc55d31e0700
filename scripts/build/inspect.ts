/**
 * Inspects a built agent executable without running it: the container format and CPU of the
 * runtime (ELF e_machine, PE COFF Machine, Mach-O cputype), the NODE_SEA_BLOB resource postject
 * injected (ELF note name / PE resource name in UTF-16 / Mach-O segment NODE_SEA with section
 * __NODE_SEA_BLOB), the flipped SEA fuse, and that the blob holds the agent's bundle.
 *   npx tsx scripts/build/inspect.ts dist/agent/win-x64/posture-agent.exe
 * Sources: ELF gABI (e_machine at 18), PE/COFF spec (e_lfanew at 0x3C, Machine after "PE\0\0"),
 * Mach-O loader.h (mach_header_64, LC_SEGMENT_64 = 0x19, segname at cmd+8).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export interface Inspection {
  format: 'elf' | 'pe' | 'macho' | 'unknown';
  machine: number;
  /** The NODE_SEA_BLOB resource is present where the format keeps it. */
  seaResource: boolean;
  /** NODE_SEA_FUSE_...:1 (postject flips :0 to :1; an un-injected runtime has :0). */
  fuseFlipped: boolean;
  /** Mach-O only: segment names from the load commands. */
  segments?: string[];
  /** Strings the caller asked for, found in the file (e.g. the version, the CLI usage). */
  contains: Record<string, boolean>;
}

const FUSE = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';

function machoSegments(b: Buffer): string[] {
  const ncmds = b.readUInt32LE(16);
  let off = 32; // sizeof(mach_header_64)
  const segs: string[] = [];
  for (let i = 0; i < ncmds && off + 8 <= b.length; i++) {
    const cmd = b.readUInt32LE(off);
    const size = b.readUInt32LE(off + 4);
    if (cmd === 0x19) segs.push(b.subarray(off + 8, off + 24).toString('latin1').replace(/\0+$/, ''));
    if (size <= 0) break;
    off += size;
  }
  return segs;
}

export function inspectExecutable(path: string, want: string[] = []): Inspection {
  const b = readFileSync(path);
  const contains = Object.fromEntries(want.map((s) => [s, b.includes(s)]));
  const fuseFlipped = b.includes(`${FUSE}:1`);
  if (b.readUInt32BE(0) === 0x7f454c46) {
    // ELF: postject adds a PT_NOTE whose note name is the resource name.
    return { format: 'elf', machine: b.readUInt16LE(18), seaResource: b.includes('NODE_SEA_BLOB\0'), fuseFlipped, contains };
  }
  if (b.toString('latin1', 0, 2) === 'MZ') {
    const pe = b.readUInt32LE(0x3c);
    if (b.toString('latin1', pe, pe + 4) !== 'PE\0\0') return { format: 'unknown', machine: 0, seaResource: false, fuseFlipped, contains };
    // PE resources are named in UTF-16LE in the .rsrc directory.
    return { format: 'pe', machine: b.readUInt16LE(pe + 4), seaResource: b.includes(Buffer.from('NODE_SEA_BLOB', 'utf16le')), fuseFlipped, contains };
  }
  if (b.readUInt32LE(0) === 0xfeedfacf) {
    const segments = machoSegments(b);
    return { format: 'macho', machine: b.readUInt32LE(4), seaResource: segments.includes('NODE_SEA') && b.includes('__NODE_SEA_BLOB'), fuseFlipped, segments, contains };
  }
  return { format: 'unknown', machine: 0, seaResource: false, fuseFlipped, contains };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  for (const p of process.argv.slice(2)) console.log(p, JSON.stringify(inspectExecutable(p, ['posture-agent <command>'])));
}
