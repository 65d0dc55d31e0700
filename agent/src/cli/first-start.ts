/**
 * `run --enroll-config SOURCE`: a packaged agent enrolls itself on its first start from the
 * settings written at install time (enroll-config.ts), then runs. Exit codes for the service
 * manager: EXIT_NOT_CONFIGURED (78, EX_CONFIG) for anything that will not fix itself by
 * retrying (settings missing or invalid, enrollment refused): the packaged systemd unit lists it
 * in RestartPreventExitStatus, so a wrong secret is refused once instead of every 10 s. An
 * unreachable collector exits 1 and the service manager retries.
 */
import { files } from '../state/paths.js';
import { existsSync } from 'node:fs';
import { readPending } from '../identity/pending.js';
import { readEnrollSettings } from './enroll-config.js';

export const EXIT_NOT_CONFIGURED = 78;

/** Enrolls when this state directory has no enrollment yet. Null: go on and run. */
export async function enrollOnFirstStart(stateDir: string, source: string): Promise<number | null> {
  if (existsSync(files(stateDir).config) || readPending(stateDir)) return null;
  const r = await readEnrollSettings(source);
  if (!r.ok) {
    console.error(`posture-agent run: not enrolled and ${r.missing ? 'no enrollment settings' : 'invalid enrollment settings'}: ${r.reason}. Set SERVER and SECRET (and optionally OWNER) there, then restart the service.`);
    return EXIT_NOT_CONFIGURED;
  }
  const { enroll, EnrollError, EnrollPending } = await import('./enroll.js');
  let pending = false;
  try {
    const cfg = await enroll({ ...r.settings, stateDir });
    console.log(`[posture-agent] enrolled as device ${cfg.deviceId} with ${cfg.server} (settings from ${source})`);
  } catch (e) {
    // Pending approval: run's own loop waits for IT's decision, which needs no secret (the
    // pending request is keyed by its own device key), so the secret goes below as on success;
    // before, it stayed in the world-readable registry for as long as the request waited.
    if (e instanceof EnrollPending) pending = true;
    else if (e instanceof EnrollError) {
      console.error(`posture-agent run: first-start enrollment failed: ${e.message}`);
      return e.retryable ? 1 : EXIT_NOT_CONFIGURED;
    } else throw e;
  }
  if (pending) console.log(`[posture-agent] enrollment waits for an administrator's approval (settings from ${source})`);
  if (source.startsWith('registry:')) {
    // HKLM\SOFTWARE is readable by every local user: the secret has done its job, remove it.
    const { createRunner } = await import('../exec/runner.js');
    const del = await createRunner({ defaultTimeoutMs: 15_000 }).run('reg', ['delete', source.slice('registry:'.length), '/v', 'Secret', '/f']);
    if (!del.ok) console.error(`[posture-agent] could not remove the enrollment secret from the registry: ${del.error}`);
  }
  return null;
}
