import type { Policy } from './schema.js';

/**
 * A sensible default mapped to SOC 2 Trust Services Criteria and CIS Controls v8.
 * Grace periods follow common practice: encryption/firewall/AV are quick to fix (72 h),
 * patching gets a week, USB/screen lock 72 h.
 */
export const DEFAULT_POLICY: Policy = {
  version: 1,
  name: 'Posture default (SOC 2 / CIS v8)',
  intervalSec: 900,
  staleAfterHours: 24,
  checks: {
    disk_encryption: { required: true, graceHours: 72, controls: { soc2: ['CC6.1', 'CC6.7'], cis: ['3.6'], iso27001: ['A.8.24'] } },
    firewall: { required: true, graceHours: 72, requireAllProfiles: true, controls: { soc2: ['CC6.6'], cis: ['4.5'], iso27001: ['A.8.20'] } },
    antivirus: { required: true, graceHours: 72, maxDefinitionAgeDays: 7, controls: { soc2: ['CC6.8'], cis: ['10.1'], iso27001: ['A.8.7'] } },
    patch_level: {
      required: true,
      graceHours: 168,
      maxPendingSecurityUpdates: 0,
      maxDaysSinceUpdate: 30,
      controls: { soc2: ['CC7.1'], cis: ['7.3', '7.4'], iso27001: ['A.8.8'] },
      platforms: {
        darwin: { minOsVersion: '14.0' },
        win32: { minOsVersion: '10.0.19045' },
      },
    },
    usb_storage: { required: true, graceHours: 72, usb: 'read_only', controls: { soc2: ['CC6.7'], cis: ['3.9', '10.3'], iso27001: ['A.7.10'] } },
    screen_lock: { required: true, graceHours: 72, maxIdleSeconds: 900, controls: { soc2: ['CC6.1'], cis: ['4.3'], iso27001: ['A.8.1'] } },
  },
  inventoryControls: { soc2: ['CC6.1'], cis: ['1.1'] },
  alerts: { on: ['noncompliant', 'stale', 'recovered'] },
  evidence: { exportRoles: ['admin', 'auditor'] },
};
