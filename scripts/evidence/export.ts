/**
 * npm run evidence -- --server URL --token TOKEN --from ISO --to ISO --out DIR [--group NAME]
 * Downloads the signed evidence bundle for [from, to) and writes it as a directory, showing
 * bytes and files received. The token may also come from POSTURE_TOKEN.
 */
import { mkdir, readdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { unpackTarGz } from './unpack.js';

const USAGE = 'usage: npm run evidence -- --server URL --token TOKEN --from ISO --to ISO --out DIR [--group NAME (one device group)]';

function fail(msg: string, code = 1): never {
  process.stderr.write(`evidence: ${msg}\n`);
  process.exit(code);
}

const human = (n: number) => (n < 1024 ? `${n} B` : n < 1 << 20 ? `${(n / 1024).toFixed(1)} KB` : `${(n / (1 << 20)).toFixed(1)} MB`);

async function main() {
  let v;
  try {
    ({ values: v } = parseArgs({ options: { server: { type: 'string' }, token: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' }, out: { type: 'string' }, group: { type: 'string' } } }));
  } catch (e) {
    fail(`${(e as Error).message}\n${USAGE}`, 2);
  }
  const token = v.token ?? process.env.POSTURE_TOKEN;
  if (!v.server || !token || !v.from || !v.to || !v.out) fail(USAGE, 2);
  const out = resolve(v.out);
  await mkdir(out, { recursive: true });
  if ((await readdir(out)).length) fail(`${out} is not empty; choose a new directory`, 2);

  const url = new URL('/api/v1/evidence', v.server);
  url.searchParams.set('from', v.from);
  url.searchParams.set('to', v.to);
  if (v.group) url.searchParams.set('group', v.group);
  process.stderr.write(`requesting ${url} (the server builds the bundle before sending)\n`);
  const started = Date.now();
  // The server builds and signs the whole bundle before the first byte; show that it is working.
  const waiting = setInterval(() => process.stderr.write(process.stderr.isTTY ? `\rbuilding on the server… ${((Date.now() - started) / 1000).toFixed(0)}s ` : ''), 1000);
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
    .catch((e) => fail(`cannot reach ${v.server}: ${(e as Error).message}`))
    .finally(() => clearInterval(waiting));
  if (!res.ok || !res.body) {
    const text = await res.text().catch(() => '');
    let msg = text.slice(0, 500);
    try {
      msg = JSON.parse(text).error.message ?? msg;
    } catch {
      /* not JSON */
    }
    fail(`server answered ${res.status}: ${msg}`);
  }
  const expected = Number(res.headers.get('x-posture-bundle-files')) || 0;
  let bytes = 0;
  let files = 0;
  let lastDraw = 0;
  const tty = process.stderr.isTTY;
  const draw = (force = false) => {
    const now = Date.now();
    if (!force && now - lastDraw < 250) return;
    lastDraw = now;
    const line = `received ${human(bytes)}, ${files}${expected ? `/${expected}` : ''} files, ${((now - started) / 1000).toFixed(1)}s`;
    process.stderr.write(tty ? `\r${line}   ` : `${line}\n`);
  };
  const body = Readable.fromWeb(res.body as never);
  const tee = new PassThrough();
  body.on('data', (c: Buffer) => {
    bytes += c.length;
    draw();
  });
  body.pipe(tee);
  const names = await unpackTarGz(tee, out, (p) => {
    files = p.files;
    draw(true);
  }).catch((e) => fail(`download failed: ${(e as Error).message}`));
  draw(true);
  if (tty) process.stderr.write('\n');
  if (expected && names.length !== expected) fail(`expected ${expected} files, got ${names.length}`);
  process.stdout.write(`wrote ${names.length} files (${human(bytes)} compressed) to ${out}\nverify offline: npm run verify-evidence -- ${out}\n`);
}

main().catch((e) => fail((e as Error).stack ?? String(e)));
