import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES } from './errors.js';

function* sources(dir: string): Generator<string> {
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) yield* sources(p);
    else if (p.endsWith('.ts') && !p.endsWith('.test.ts')) yield p;
  }
}

describe('error codes', () => {
  const used = new Set<string>();
  for (const f of sources(join(import.meta.dirname, '..'))) for (const m of readFileSync(f, 'utf8').matchAll(/POSTURE_ERR_[A-Z_]+/g)) used.add(m[0]);
  const doc = readFileSync(join(import.meta.dirname, '..', '..', '..', 'docs', 'api.md'), 'utf8');

  it('every code the server uses is declared', () => {
    expect([...used].filter((c) => !(ERROR_CODES as readonly string[]).includes(c))).toEqual([]);
  });
  it('every declared code is documented in docs/api.md', () => {
    expect(ERROR_CODES.filter((c) => !doc.includes(`\`${c}\``))).toEqual([]);
  });
});
