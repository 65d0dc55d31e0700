/**
 * Property tests (fast-check) for every parser and collector: arbitrary text, including NULs,
 * CRLF line ends, UTF-16 with a BOM read as UTF-8, truncated output and other languages'
 * labels, never throws and never yields `pass`, neither in the agent's verdict nor in the
 * collector's judgement of the same facts under the default policy.
 */
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BuiltinCheckId as CheckId, Platform } from '../../../shared/src/checks/ids.js';
import { CHECK_IDS } from '../../../shared/src/checks/ids.js';
import { DEFAULT_POLICY } from '../../../shared/src/policy/default-policy.js';
import { judgeCheck } from '../../../shared/src/policy/judge.js';
import type { RunResult } from '../exec/runner.js';
import { runOne } from './registry.js';
import type { Collector, ProbeContext } from './types.js';
import * as avEdr from './antivirus/parse-edr.js';
import * as avMdatp from './antivirus/parse-mdatp.js';
import * as avWin from './antivirus/parse-windows.js';
import * as avClam from './antivirus/parse-clamav.js';
import * as avMac from './antivirus/parse-darwin.js';
import * as deLinux from './disk-encryption/parse-lsblk.js';
import * as deWin from './disk-encryption/parse-windows.js';
import * as deMac from './disk-encryption/parse-darwin.js';
import * as fwLinux from './firewall/parse-linux.js';
import * as fwWin from './firewall/parse-windows.js';
import * as fwMac from './firewall/parse-darwin.js';
import * as plLinux from './patch-level/parse-linux.js';
import * as plWin from './patch-level/parse-windows.js';
import * as plMac from './patch-level/parse-darwin.js';
import * as slLinux from './screen-lock/parse-linux.js';
import * as slWin from './screen-lock/parse-windows.js';
import * as slPow from './screen-lock/parse-powercfg.js';
import * as slMac from './screen-lock/parse-darwin.js';
import * as usbLinux from './usb-storage/parse-linux.js';
import * as usbWin from './usb-storage/parse-windows.js';
import * as usbMac from './usb-storage/parse-darwin.js';

const NOW = new Date('2026-12-03T12:00:00Z');
const RUNS = Number(process.env.POSTURE_PROPERTY_RUNS ?? 40);

/** Other languages' labels for the words our parsers look for. */
const FOREIGN: [RegExp, string][] = [
  [/Protection On/g, 'Protección activada'],
  [/Fully Encrypted/g, 'Completamente cifrado'],
  [/Conversion Status/g, 'Estado de conversión'],
  [/Status: active/g, 'Estado: activo'],
  [/enabled/gi, 'activado'],
  [/true/g, 'verdadero'],
  [/State/g, 'Zustand'],
  [/ON/g, 'EIN'],
];

/** UTF-16LE with a BOM, as bytes read back as UTF-8 (what a redirect on Windows produces). */
const utf16AsUtf8 = (s: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(s, 'utf16le')]).toString('utf8');

/** Matched by the name filter below but right as a pass: not mutation seeds. */
const PASSING = /[.-]ok\.|third-party-defender-off|bitdefender-defender-off|\.none\.txt$|none-chosen|de-DE\.encrypting|on-encrypting/;
/** Captured outputs whose right verdict is not pass: mutating them must never make it pass. */
function nonPassFixtures(): string[] {
  const out: string[] = [];
  for (const dir of ['antivirus', 'disk-encryption', 'firewall', 'patch-level', 'screen-lock', 'usb-storage']) {
    const base = new URL(`./${dir}/fixtures/`, import.meta.url);
    for (const f of readdirSync(base)) if (!PASSING.test(f) && /off|fail|not-|unhealthy|rfm|open|accept|inactive|disabled|pending|allow|unregistered|disconnected|error|suspended|encrypting|kein|none|never|insecure/i.test(f)) out.push(readFileSync(new URL(f, base), 'utf8'));
  }
  return out;
}
const FIXTURES = nonPassFixtures();

/** Arbitrary "tool output": random text, or a non-pass capture mutated. */
const text: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 400 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom('', '\0', '\r\n', '\uFEFF', 'null', '{}', '[]', 'true', '0', '1'),
  fc.tuple(fc.constantFrom(...FIXTURES), fc.nat(), fc.nat(), fc.constantFrom('truncate', 'crlf', 'nul', 'utf16', 'foreign', 'as-is')).map(([f, a, b, how]) => {
    switch (how) {
      case 'truncate':
        return f.slice(0, a % (f.length + 1));
      case 'crlf':
        return f.replace(/\n/g, '\r\n');
      case 'nul': {
        const i = a % (f.length + 1);
        return `${f.slice(0, i)}\0${f.slice(i, i + (b % 40))}`;
      }
      case 'utf16':
        return utf16AsUtf8(f);
      case 'foreign':
        return FOREIGN.reduce((s, [re, to]) => s.replace(re, to), f);
      default:
        return f;
    }
  }),
);

/** A machine where every command and file answers with arbitrary text (or fails). */
interface Machine {
  outputs: string[];
  codes: number[];
  fileKinds: number[];
}
const machine = fc.record({ outputs: fc.array(text, { minLength: 1, maxLength: 12 }), codes: fc.array(fc.constantFrom(0, 0, 0, 1, 2, 100), { minLength: 1, maxLength: 6 }), fileKinds: fc.array(fc.nat(4), { minLength: 1, maxLength: 8 }) });

function arbitraryContext(platform: Platform, m: Machine): ProbeContext {
  let i = 0;
  const next = () => m.outputs[i++ % m.outputs.length];
  const kind = () => m.fileKinds[i++ % m.fileKinds.length];
  return {
    platform,
    root: '',
    now: NOW,
    elevated: m.codes[0] === 0,
    cacheDir: null,
    async run(name, args): Promise<RunResult> {
      const code = m.codes[i++ % m.codes.length];
      return { ok: code === 0, code, stdout: next(), stderr: next(), error: code === 0 ? null : 'failed', command: [name, ...args].join(' ') };
    },
    fs: {
      async read() {
        const k = kind();
        return k === 0 ? { ok: false, error: 'not_found', message: 'ENOENT' } : k === 1 ? { ok: false, error: 'permission_denied', message: 'EACCES' } : { ok: true, value: next() };
      },
      async list() {
        const k = kind();
        return k < 2 ? { ok: false, error: 'not_found', message: 'ENOENT' } : { ok: true, value: next().split(/\s+/).filter(Boolean).slice(0, 6) };
      },
      // Existence and dates are machine state, not text: nothing "exists" by stat here, so the
      // collectors take their text paths (a real XProtect bundle's date does pass, by design).
      async stat() {
        return { ok: false, error: 'not_found', message: 'ENOENT' };
      },
      async readlink() {
        return kind() < 3 ? { ok: false, error: 'not_found', message: 'ENOENT' } : { ok: true, value: next() };
      },
    },
  };
}

const registries: Record<Platform, () => Promise<{ collectors: Partial<Record<CheckId, Collector<CheckId>>> }>> = {
  linux: () => import('./registry.linux.js') as never,
  darwin: () => import('./registry.darwin.js') as never,
  win32: () => import('./registry.win32.js') as never,
};

describe('collectors on arbitrary machines never throw and never pass', () => {
  for (const platform of ['linux', 'darwin', 'win32'] as const) {
    for (const id of CHECK_IDS) {
      it(`${platform} ${id}`, async () => {
        const { collectors } = await registries[platform]();
        const collector = collectors[id];
        if (!collector) return;
        await fc.assert(
          fc.asyncProperty(machine, async (m) => {
            const r = await runOne(id, collector, arbitraryContext(platform, m), { checkTimeoutMs: 5_000 });
            expect(r.status, `${r.summary} | ${JSON.stringify(r.evidence).slice(0, 600)}`).not.toBe('pass');
            const j = judgeCheck(DEFAULT_POLICY, platform, r, NOW);
            expect(j.verdict, `${j.reasons.join('; ')} | ${JSON.stringify(r.evidence).slice(0, 600)}`).not.toBe('pass');
          }),
          { numRuns: RUNS },
        );
      });
    }
  }
});

/** Every exported parse-like function of the parser modules, called with arbitrary text. */
const TEXT_FUNCTION = /^(parse|ipv6Interfaces$|liveIpv6Interfaces$|cmdlineBlacklist$|moduleLoaded$|modulesDepHasUsbStorage$|aptListIsSecurity$|aptReadsFile$|clamd|passwdEntry$|statusUid$)/;
const PARSER_MODULES = { avEdr, avMdatp, avWin, avClam, avMac, deLinux, deWin, deMac, fwLinux, fwWin, fwMac, plLinux, plWin, plMac, slLinux, slWin, slPow, slMac, usbLinux, usbWin, usbMac };

describe('parsers never throw on arbitrary text', () => {
  for (const [mod, exports] of Object.entries(PARSER_MODULES)) {
    it(mod, () => {
      const fns = Object.entries(exports).filter(([, f]) => typeof f === 'function') as [string, (...a: unknown[]) => unknown][];
      expect(fns.length).toBeGreaterThan(0);
      fc.assert(
        fc.property(text, text, (a, b) => {
          for (const [name, f] of fns) {
            try {
              // Text parsers (some take a second text or a clock); the list-taking ones get lists.
              if (name === 'parseModprobe') f([{ path: '/etc/modprobe.d/x.conf', text: a }]);
              else if (name === 'parseAptPeriodic') f([a, b]);
              else if (TEXT_FUNCTION.test(name)) f(a, name.startsWith('parseMdatp') ? NOW : b);
            } catch (e) {
              throw new Error(`${mod}.${name} threw on ${JSON.stringify(a).slice(0, 200)}: ${(e as Error).message}`);
            }
          }
        }),
        { numRuns: RUNS * 2 },
      );
    });
  }
  it('EDR health readers never call arbitrary text healthy', () => {
    fc.assert(
      fc.property(text, (t) => {
        for (const p of [avEdr.parseFalconctlGet, avEdr.parseFalconStats, avEdr.parseSentinelctl]) expect(p(t).healthy).not.toBe(true);
        const m = avMdatp.parseMdatpHealth(t, NOW);
        expect(m?.healthy === true && m.onboarded === true && m.realTimeProtection === true).toBe(false);
      }),
      { numRuns: RUNS * 4 },
    );
  });
});
