/**
 * Start a worker thread from a module beside the caller, from source or from the bundle.
 * From source (tsx, tests) the file is `<name>.ts`; a worker does not inherit tsx's loader hooks
 * (`--import tsx` in its execArgv is not applied to its entry on Node 20), so it registers them
 * first. In the bundle (dist/server/main.js) scripts/build/server.ts writes `<name>.js` beside
 * main.js, and the caller's import.meta.url is main.js's.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function startWorker(callerUrl: string, name: string, opts: WorkerOptions = {}): Worker {
  if (!callerUrl.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, callerUrl), opts);
  const api = pathToFileURL(join(dirname(createRequire(callerUrl).resolve('tsx/package.json')), 'dist', 'esm', 'api', 'index.mjs')).href;
  const entry = new URL(`./${name}.ts`, callerUrl).href;
  return new Worker(`import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`, { ...opts, eval: true });
}
