/**
 * npm run build:server: the collector as dist/server/main.js, runnable with plain `node`.
 *  - esbuild bundles server/src/main.ts and its dependencies into one ESM file;
 *  - the SQL migrations are copied to dist/server/migrations (migrate.ts reads them next to
 *    its own module, which after bundling is main.js);
 *  - the embedded store (PGlite) loads its WebAssembly and data files relative to its own
 *    package, so that package is copied as-is to dist/server/node_modules; with DATABASE_URL
 *    set it is never loaded.
 * Run: DATABASE_URL=postgres://... node dist/server/main.js --no-local-agent
 */
import { build } from 'esbuild';
import { cpSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..', '..');
const OUT = join(ROOT, 'dist', 'server');

async function main(): Promise<void> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const t0 = Date.now();
  const r = await build({
    entryPoints: [join(ROOT, 'server', 'src', 'main.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    outfile: join(OUT, 'main.js'),
    legalComments: 'none',
    // CommonJS dependencies (pg, fastify, pino) call require() for built-ins; give the ESM bundle one.
    banner: { js: "import { createRequire as __postureCreateRequire } from 'node:module'; const require = __postureCreateRequire(import.meta.url);" },
    // Optional native accelerators (ws, pg) are loaded in try/catch; PGlite is shipped beside the bundle.
    external: ['@electric-sql/pglite', '@electric-sql/pglite/*', 'bufferutil', 'utf-8-validate', 'pg-native'],
    logLevel: 'warning',
    metafile: true,
  });
  // Worker threads load these beside main.js (server/src/shared/worker-file.ts): the verification
  // pool's (ingest/verify-pool.ts) and the projector thread's (projector/thread.ts).
  for (const [dir, name] of [['ingest', 'verify-worker'], ['projector', 'projector-worker']]) {
    await build({
      entryPoints: [join(ROOT, 'server', 'src', dir, `${name}.ts`)],
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      outfile: join(OUT, `${name}.js`),
      legalComments: 'none',
      banner: { js: "import { createRequire as __postureCreateRequire } from 'node:module'; const require = __postureCreateRequire(import.meta.url);" },
      external: ['@electric-sql/pglite', '@electric-sql/pglite/*', 'bufferutil', 'utf-8-validate', 'pg-native'],
      logLevel: 'warning',
    });
  }
  cpSync(join(ROOT, 'server', 'src', 'db', 'migrations'), join(OUT, 'migrations'), { recursive: true });
  cpSync(join(ROOT, 'node_modules', '@electric-sql', 'pglite'), join(OUT, 'node_modules', '@electric-sql', 'pglite'), { recursive: true });
  const size = statSync(join(OUT, 'main.js')).size;
  console.log(`bundled ${Object.keys(r.metafile.inputs).length} modules into dist/server/main.js (${(size / 1024).toFixed(0)} KiB) in ${Date.now() - t0} ms; migrations and PGlite copied`);
}

main().catch((e) => {
  console.error('build:server failed:', e instanceof Error ? e.message : e);
  process.exit(1);
});
