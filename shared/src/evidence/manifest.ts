/**
 * The evidence bundle's manifest, shared by the exporter (server) and the offline verifier.
 *
 * Format: `manifest.json` holds the manifest as UTF-8 JSON; `manifest.jws` is a compact JWS
 * (EdDSA, Ed25519, header kid = collector key thumbprint, typ "posture-evidence+jws") whose
 * payload is exactly the bytes of manifest.json. A verifier checks the signature, then that
 * the JWS payload equals manifest.json byte for byte, then every file's SHA-256 and size.
 * `collector-jwks.json` carries the collector public key (also listed and hashed), to compare
 * with the live /.well-known/jwks.json or to pin with --jwks.
 *
 * Format 3 adds `audit.csv` (the audit log's hash chain segment, shared/src/audit/csv.ts) and
 * `manifest.audit`, the chain positions the collector signs: the link before the segment and the
 * chain head at export time.
 */
import type { AuditChainHead } from '../audit/chain.js';
import { DEVICE_LIFECYCLE_FILE } from './lifecycle.js';

export const MANIFEST_FORMAT = 'posture-evidence-bundle/3';
/** Format 2 (before the audit chain): still verified, everything but the audit log, and the verifier says so. */
export const MANIFEST_FORMAT_NO_AUDIT = 'posture-evidence-bundle/2';
export const MANIFEST_JWS_TYP = 'posture-evidence+jws';
export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_JWS_FILE = 'manifest.jws';
export const COLLECTOR_JWKS_FILE = 'collector-jwks.json';
/** Per device: the last report before the period, the first after it (or none yet), its last seq, start states. */
export const REPORT_EDGES_FILE = 'report-edges.jsonl';

/** Files in every bundle, in tar order (the manifest pair comes last). */
export const BUNDLE_FILES = [
  'devices.csv',
  DEVICE_LIFECYCLE_FILE,
  REPORT_EDGES_FILE,
  'events.csv',
  'exclusions.csv',
  'people.csv',
  'group-memberships.csv',
  'audit.csv',
  'reports.jsonl',
  'device-keys.json',
  'policy.json',
  'controls.csv',
  'summary.html',
  COLLECTOR_JWKS_FILE,
] as const;

export interface ManifestFile {
  path: string;
  sha256: string;
  bytes: number;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT | typeof MANIFEST_FORMAT_NO_AUDIT;
  period: { from: string; to: string };
  generatedAt: string;
  generator: { name: 'posture'; version: string };
  collector: { id: string; kid: string };
  /** How time in compliance was counted (so the numbers can be reproduced). */
  method: string;
  counts: { devices: number; events: number; exclusions: number; reports: number; deviceKeys: number };
  /** A one-group bundle (?group=): only devices that were in this device group during the period. */
  scope?: { group: string };
  audit: ManifestAudit;
  /** Present when retention pruned part of the period: which device-months are digests, not raw reports. */
  digests?: ManifestDigests;
  files: ManifestFile[];
}

/**
 * The pruned part of a period (docs/retention.md): raw reports and state events start at
 * `rawFrom`; for [period.from, rawFrom) the figures come from the signed monthly digests in
 * `digests.jsonl` (each pruned month counted whole, combined time-weighted with the raw part).
 */
export interface ManifestDigests {
  file: 'digests.jsonl';
  rawFrom: string;
  /** Device-months inside the period carried as digests (edge digests before the period not counted). */
  deviceMonths: number;
}

/** The audit chain segment in audit.csv, signed with the manifest. */
export interface ManifestAudit {
  file: 'audit.csv';
  /** Seq of the first entry after the link (null: no entries after the link). */
  first: number | null;
  /** The entry just before `first` (also the link row in audit.csv); null when the segment starts at seq 1. */
  link: AuditChainHead | null;
  /** The chain head when the bundle was exported: audit.csv's last entry. */
  head: AuditChainHead | null;
  /** Entries after the link, and how many of them fall in the period. */
  entries: number;
  inPeriod: number;
}

export const COUNTING_METHOD =
  'Per device from max(from, enrolled) to min(to, revoked, export time). Between reports a check keeps its last known state; ' +
  'time more than staleAfterHours after the last report is unknown (not compliant). Excluded and not-required time is reported ' +
  'separately and left out of the denominator. compliant% = pass time / in-scope time; failing inside the grace period is not compliant.';

/** Only plain relative names: no directories, no traversal (the verifier joins them to a directory). */
export const isSafeBundlePath = (p: string) => /^[a-z0-9][a-z0-9._-]{0,63}$/i.test(p) && !p.includes('..');
