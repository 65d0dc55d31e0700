/**
 * Windows Security Center (root/SecurityCenter2 AntiVirusProduct) and Defender's own
 * status (root/Microsoft/Windows/Defender MSFT_MpComputerStatus). productState packs
 * three bytes 0xPPSSDD: SS's high nibble 1 = real-time scanning on, DD's high nibble
 * 1 = definitions out of date. Security Center does not exist on Windows Server, where
 * Defender's status is the only source.
 */
import type { AvProduct } from '../../../../shared/src/checks/facts.js';

const SCAN_STATES = ['off', 'on', 'snoozed', 'expired'];

/** SS high nibble: 0 off, 1 on, 2 snoozed, 3 expired; only "on" protects. */
export function decodeProductState(state: number): { enabled: boolean; upToDate: boolean; state: string } {
  const ss = (state >> 12) & 0xf;
  return { enabled: ss === 1, upToDate: ((state >> 4) & 0xf) === 0, state: SCAN_STATES[ss] ?? `0x${ss.toString(16)}` };
}

export interface Sc2Product {
  displayName: string;
  productState: number;
  timestamp?: string;
}

export function parseSecurityCenter2(json: string): Sc2Product[] | null {
  let v: unknown;
  try {
    v = JSON.parse(json.replace(/^\uFEFF/, '').trim() || '[]');
  } catch {
    return null;
  }
  const list = (Array.isArray(v) ? v : v ? [v] : []) as Record<string, unknown>[];
  // productState is a UInt32; tolerate it as a numeric string from other serializers.
  const state = (v: unknown) => (typeof v === 'number' ? v : typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : null);
  return list
    .filter((p) => p && typeof p.displayName === 'string' && state(p.productState) !== null)
    .map((p) => ({ displayName: p.displayName as string, productState: state(p.productState)!, timestamp: typeof p.timestamp === 'string' ? p.timestamp : undefined }));
}

/** CIM booleans arrive as JSON booleans, but tolerate "True"/"False" and 1/0 from other serializers. */
const asBool = (v: unknown): boolean | undefined => {
  const t = typeof v === 'string' ? v.trim().toLowerCase() : v;
  return t === true || t === 'true' || t === 1 ? true : t === false || t === 'false' || t === 0 ? false : undefined;
};

export interface MpStatus {
  AMServiceEnabled?: boolean;
  AntivirusEnabled?: boolean;
  RealTimeProtectionEnabled?: boolean;
  AntivirusSignatureAge?: number;
  AMRunningMode?: string;
}

export function parseMpComputerStatus(json: string): MpStatus | null {
  try {
    const v = JSON.parse(json.replace(/^\uFEFF/, ''));
    const o = Array.isArray(v) ? v[0] : v;
    if (!o || typeof o !== 'object' || !('AntivirusEnabled' in o || 'AMServiceEnabled' in o)) return null;
    const age = typeof o.AntivirusSignatureAge === 'string' ? Number(o.AntivirusSignatureAge) : o.AntivirusSignatureAge;
    return {
      AMServiceEnabled: asBool(o.AMServiceEnabled),
      AntivirusEnabled: asBool(o.AntivirusEnabled),
      RealTimeProtectionEnabled: asBool(o.RealTimeProtectionEnabled),
      AntivirusSignatureAge: typeof age === 'number' && Number.isFinite(age) ? age : undefined,
      AMRunningMode: typeof o.AMRunningMode === 'string' ? o.AMRunningMode : undefined,
    };
  } catch {
    return null;
  }
}

const isDefender = (name: string) => /^(Windows|Microsoft) Defender/i.test(name);

/** Security Center products, enriched with Defender's signature age where it is Defender. */
export function windowsProducts(sc2: Sc2Product[] | null, mp: MpStatus | null): AvProduct[] {
  const out: AvProduct[] = (sc2 ?? []).map((p) => {
    const s = decodeProductState(p.productState);
    return {
      name: p.displayName,
      kind: 'antivirus',
      running: s.enabled,
      realTimeProtection: s.enabled,
      definitionsUpToDate: s.upToDate,
      definitionsAgeDays: isDefender(p.displayName) && typeof mp?.AntivirusSignatureAge === 'number' ? mp.AntivirusSignatureAge : null,
    };
  });
  // Windows Server has no Security Center (and one with no registered product says nothing):
  // report Defender from its own status. In passive or EDR block mode (another AV is
  // primary) Defender does not protect in real time.
  if ((sc2 === null || sc2.length === 0) && mp) {
    const passive = /passive|edr block/i.test(mp.AMRunningMode ?? '');
    out.push({
      name: 'Microsoft Defender Antivirus',
      kind: 'antivirus',
      running: mp.AMServiceEnabled ?? null,
      realTimeProtection: mp.AntivirusEnabled === false || passive ? false : (mp.RealTimeProtectionEnabled ?? null),
      definitionsUpToDate: null,
      definitionsAgeDays: typeof mp.AntivirusSignatureAge === 'number' && mp.AntivirusSignatureAge < 65535 ? mp.AntivirusSignatureAge : null,
    });
  }
  return out;
}
