/**
 * The update framework's first trusted root.json: compiled into the single executable by the
 * build (`npm run build:agent -- --tuf-root root.json`), so the keys that may sign updates come
 * with the binary the operator installed, never from the collector (a collector that could hand
 * out its own root could push any code). Later roots are reached only through TUF root
 * rotation, each signed by the previous root's keys.
 */
declare const __POSTURE_TUF_ROOT__: string | undefined;

export const EMBEDDED_TUF_ROOT: string | null = typeof __POSTURE_TUF_ROOT__ === 'string' ? __POSTURE_TUF_ROOT__ : null;
