/**
 * Plain-language description of what a custom probe reads and sends, for the employee
 * ("what is collected": My-device page and `posture-agent status --what-is-collected`).
 */
import type { Probe } from './schema.js';

export function describeProbe(p: Probe): { reads: string; sends: string } {
  switch (p.kind) {
    case 'file':
      return { reads: `file ${p.path} (metadata only)`, sends: 'whether it exists, its type, permissions, owner and size' };
    case 'file-content':
      return { reads: `file ${p.path}`, sends: 'whether its text matches the policy pattern, and the matched text (≤ 200 characters); never the file' };
    case 'config-key':
      return { reads: `${p.format.toUpperCase()} file ${p.path}`, sends: `the value of ${p.keyPath ? p.keyPath.join('.') : p.key}` };
    case 'registry':
      return { reads: `registry ${p.key}`, sends: `the value ${p.value || '(default)'}` };
    case 'defaults':
      return { reads: `preference ${p.domain} (configuration profile, then defaults)`, sends: `the value of ${p.key}` };
    case 'sysctl':
      return { reads: `kernel setting ${p.name}`, sends: 'its value' };
    case 'gsettings':
      return { reads: `desktop setting ${p.schema} ${p.key}`, sends: 'its value' };
    case 'package':
      return { reads: 'the list of installed packages/applications', sends: `whether one of ${p.names.join(', ')} is installed, and its version` };
    case 'process':
      return { reads: 'the names of running processes', sends: `whether ${p.names.join(', ')} is running, and how many` };
    case 'service':
      return { reads: `service ${p.name}`, sends: 'whether it is enabled and running' };
    case 'port':
      return { reads: 'the list of listening TCP ports', sends: `whether port ${p.port} is listening` };
  }
}
