/**
 * What `npm start` prints once the collector listens: where it is, and the credentials only
 * when they were created by this start (never a stored one again: they are kept hashed).
 */
import type { BootstrapResult } from './bootstrap.js';

export function startBanner(url: string, store: string, boot: BootstrapResult, version: string): string {
  const lines = ['', `Posture collector ${version} listening on ${url} (store: ${store})`, `  Dashboard:   ${url}/`];
  if (boot.adminToken) lines.push(`  Admin token: ${boot.adminToken}   (shown once; sign in with it, or send it as "Authorization: Bearer")`);
  else if (boot.adminTokenFromEnv === 'created' || boot.adminTokenFromEnv === 'active') lines.push('  Admin token: the value of POSTURE_ADMIN_TOKEN.');
  else lines.push(`  Admin token: stored hashed, so it cannot be shown again. Sign in and manage tokens at ${url}/settings, or print a new one with \`npm run admin -- reset-token\`.`);
  if (boot.enrollSecret) lines.push(`  Enroll an agent:\n    npm run agent -- enroll --server ${url} --secret ${boot.enrollSecret}\n    npm run agent -- run`);
  else if (boot.enrollSecretFromEnv === 'created' || boot.enrollSecretFromEnv === 'active') lines.push(`  Enroll an agent: npm run agent -- enroll --server ${url} --secret "$POSTURE_ENROLL_SECRET"`);
  else lines.push(`  Enrollment secrets: create one on the Settings page (${url}/settings) or with POST /api/v1/enroll-secrets.`);
  for (const n of boot.notices) lines.push(`  Note: ${n}`);
  return lines.join('\n') + '\n';
}
