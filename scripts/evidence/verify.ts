/**
 * npm run verify-evidence -- BUNDLE_DIR_OR_TGZ [--jwks FILE_OR_URL]
 * Verifies an evidence bundle offline (no server): manifest signature, every file's SHA-256,
 * every report's device signature. Prints the collector key id/thumbprint to compare with the
 * live /.well-known/jwks.json; --jwks pins the collector key instead of trusting the bundle's.
 * --audit-anchor SEQ:HASH (the "audit head" an earlier bundle's verification printed) requires
 * this bundle's audit chain to contain that entry unchanged.
 * Exit 0 = verified, 1 = verification failed, 2 = usage or unreadable input.
 * Also the entry point of the single-file `posture-verify` executable (npm run build:verify,
 * docs/verify-evidence.md); there the usage names the executable.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isSea } from 'node:sea';
import { parseArgs } from 'node:util';
import type { JWK } from 'jose';
import { MANIFEST_FILE } from '#shared/evidence/manifest.js';
import { unpackTarGz } from './unpack.js';
import { verifyBundleDir } from './verify-bundle.js';

const PROG = isSea() ? 'posture-verify' : 'npm run verify-evidence --';
const USAGE = `usage: ${PROG} BUNDLE_DIR_OR_TGZ [--jwks FILE_OR_URL] [--audit-anchor SEQ:HASH]`;
const HELP = `${USAGE}

Verifies a Posture evidence bundle (the .tar.gz from the collector, or its unpacked folder)
offline: the collector's signature over manifest.json, every file's SHA-256, every report's
device signature and hash chain, the audit log's hash chain, and every figure recomputed from
the signed reports.

  --jwks FILE_OR_URL        pin the collector key (its /.well-known/jwks.json, saved or by URL)
                            instead of trusting the key shipped inside the bundle
  --audit-anchor SEQ:HASH   the "audit head" an earlier bundle's verification printed: this
                            bundle's audit chain must contain that entry unchanged
  -h, --help                this text

Exit codes: 0 verified, 1 verification failed (each problem names its file),
2 usage error or unreadable input.`;

async function loadJwks(src: string): Promise<{ keys: JWK[] }> {
  const text = /^https?:\/\//.test(src) ? await (await fetch(src)).text() : await readFile(src, 'utf8');
  const j = JSON.parse(text) as { keys?: JWK[] };
  if (!Array.isArray(j.keys)) throw new Error(`${src} is not a JWKS ({"keys": [...]})`);
  return { keys: j.keys };
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ allowPositionals: true, options: { jwks: { type: 'string' }, 'audit-anchor': { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const target = parsed.positionals[0];
  if (!target) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const anchorArg = parsed.values['audit-anchor'];
  const am = anchorArg === undefined ? null : /^(\d+):([0-9a-f]{64})$/.exec(anchorArg);
  if (anchorArg !== undefined && !am) {
    process.stderr.write(`--audit-anchor: expected SEQ:HASH (64 hex digits), got ${JSON.stringify(anchorArg)}\n${USAGE}\n`);
    return 2;
  }
  const auditAnchor = am ? { seq: Number(am[1]), hash: am[2] } : undefined;
  const path = resolve(target);
  let dir = path;
  let temp: string | null = null;
  try {
    const pinned = parsed.values.jwks ? await loadJwks(parsed.values.jwks) : undefined;
    if ((await stat(path)).isFile()) {
      temp = await mkdtemp(join(tmpdir(), 'posture-verify-'));
      await unpackTarGz(createReadStream(path), temp);
      dir = temp;
    } else if (!(await readdir(path)).includes(MANIFEST_FILE)) {
      // A directory holding the unpacked top-level folder.
      const sub = (await readdir(path, { withFileTypes: true })).filter((d) => d.isDirectory());
      if (sub.length === 1) dir = join(path, sub[0].name);
    }
    const r = await verifyBundleDir(dir, pinned, { auditAnchor });
    const w = (s: string) => process.stdout.write(s + '\n');
    w(`bundle:     ${path}`);
    if (r.period) w(`period:     ${r.period.from} to ${r.period.to}`);
    if (r.collector) {
      w(`collector:  ${r.collector.id}`);
      w(`signed by:  key id ${r.collector.kid} (RFC 7638 thumbprint ${r.collector.thumbprint})${pinned ? ' — pinned JWKS' : ''}`);
      w(`key history: ${r.collector.keys} key(s) in ${pinned ? 'the pinned JWKS' : 'the bundle'}${r.collector.rotatedOut ? `; the signing key was rotated out at ${r.collector.rotatedOut} (after this export)` : '; the signing key is the current one'}`);
      if (!pinned) w(`WARNING:    trusted the collector key shipped INSIDE the bundle (fingerprint ${r.collector.thumbprint}); compare it with the collector's /.well-known/jwks.json, or pass --jwks to pin it`);
    }
    w(`checked:    ${r.filesChecked} files, ${r.reportsChecked} device-signed reports`);
    if (r.recomputed) w(`recomputed: ${r.recomputed.devices} device chains and figures, ${r.recomputed.events} check events, from the signed reports`);
    if (r.digests) w(`retention:  ${r.digests.deviceMonths} device-months verified from digests, not raw reports (raw reports from ${r.digests.rawFrom})`);
    if (r.summaryFigures !== undefined) w(`summary:    ${r.summaryFigures} figures of summary.html recomputed`);
    if (r.lifecycle && (r.lifecycle.archived || r.lifecycle.deleted)) w(`lifecycle:  ${r.lifecycle.archived} archived and ${r.lifecycle.deleted} deleted device(s) (device-lifecycle.csv), ${r.lifecycle.matched} matched to an audit entry${r.lifecycle.beforeSegment ? `, ${r.lifecycle.beforeSegment} older than the audit segment (not matched)` : ''}`);
    if (r.audit) w(`audit log:  ${r.audit.entries} chained entries checked to the signed head, ${r.audit.matched} exclusions, policy versions and revocations matched to an entry${r.audit.excused ? `; ${r.audit.excused} older than the retention (entries pruned before ${r.audit.prunedBefore}) not matched` : ''}`);
    if (r.audit?.anchor) w(`audit anchor: ${r.audit.anchor === 'found' ? 'the earlier bundle\'s head is in this chain, unchanged' : 'older than this bundle\'s segment: not checked'}`);
    if (r.auditHead) w(`audit head: ${r.auditHead.seq}:${r.auditHead.hash} (keep it; pass --audit-anchor ${r.auditHead.seq}:${r.auditHead.hash} when verifying the next bundle)`);
    if (r.ok) {
      if (r.summaryUnbound) w('NOTE:       summary.html carries no machine-readable figures (exported before they were added): its figures were NOT recomputed; devices.csv and controls.csv were');
      if (r.auditAbsent) {
        w('NOTE:       format 2 bundle (exported before the audit chain): it carries no audit log, so exclusions, policy changes and revocations are NOT matched to audit entries');
        w('VERDICT: VERIFIED — signature valid, every file intact, every report signed by its device, every device chain complete, every figure recomputed (no audit log in this format).');
      } else w(`VERDICT: VERIFIED — signature valid, every file intact, every report signed by its device, every device chain complete, every figure recomputed${r.summaryUnbound ? ' except those of summary.html' : ''}, the audit chain intact and matching.`);
      return 0;
    }
    for (const p of r.problems) w(`  FAIL ${p.file}: ${p.message}`);
    w(`VERDICT: FAILED — ${r.problems.length} problem(s) in: ${[...new Set(r.problems.map((p) => p.file))].join(', ')}`);
    return 1;
  } catch (e) {
    process.stderr.write(`verify-evidence: cannot read ${target}: ${(e as Error).message}\n`);
    return 2;
  } finally {
    if (temp) await rm(temp, { recursive: true, force: true });
  }
}

main().then((code) => process.exit(code));
