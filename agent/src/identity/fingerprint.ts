/**
 * Hardware fingerprint: the OS machine id (node-machine-id: /etc/machine-id, IOPlatformUUID,
 * MachineGuid) hashed with the collector's salt. The raw id never leaves the machine, and
 * two collectors cannot correlate the same laptop.
 */
import { createHash } from 'node:crypto';
import machineId from 'node-machine-id';

export async function hardwareFingerprint(salt: string): Promise<string> {
  const raw = await machineId.machineId(true);
  return createHash('sha256').update(`${salt}\0${raw}`).digest('hex');
}
