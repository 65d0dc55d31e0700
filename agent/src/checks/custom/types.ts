import type { Observed } from '../../../../shared/src/custom-checks/condition.js';

/** What one custom probe saw. `observed: null` = could not observe (reason says why). */
export interface ProbeObservation {
  /** The target (file, key, value, preference) does not exist; the probe's `missing` verdict applies. */
  missing: boolean;
  observed: Observed | null;
  reason?: string;
  /** Extra evidence for humans (command run, source). */
  detail?: Record<string, unknown>;
}
