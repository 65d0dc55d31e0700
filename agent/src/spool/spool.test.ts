import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spool } from './spool.js';

const dirs = () => {
  const d = mkdtempSync(join(tmpdir(), 'spool-'));
  return [join(d, 'spool'), join(d, 'quarantine')] as const;
};
const rep = (s: Spool, id: string, createdAt = new Date()) => ({ id, seq: s.nextSeq(), createdAt: createdAt.toISOString(), jws: `jws-of-${id}-` + 'x'.repeat(100) });

describe('Spool', () => {
  it('keeps reports across restarts, in order, until acknowledged', () => {
    const [d, q] = dirs();
    const a = new Spool(d, q);
    for (const id of ['r1', 'r2', 'r3']) a.append(rep(a, id));
    expect(a.remove('r2')).toBe(true);
    const b = new Spool(d, q); // a restarted agent
    expect([...b.pending()].map((r) => r.id)).toEqual(['r1', 'r3']);
    // Sequence numbers continue; they never go back after a restart.
    expect(b.nextSeq()).toBe(4);
  });

  it('evicts oldest-first beyond its size bound and counts every eviction', () => {
    const [d, q] = dirs();
    const s = new Spool(d, q, { maxBytes: 1000 });
    let evicted = 0;
    for (let i = 0; i < 20; i++) evicted += s.append(rep(s, `r${i}`));
    expect(evicted).toBeGreaterThan(0);
    expect(s.stats.evicted).toBe(evicted);
    const ids = [...s.pending()].map((r) => r.id);
    expect(ids[ids.length - 1]).toBe('r19'); // newest always kept
    expect(ids).not.toContain('r0');
    expect(new Spool(d, q).stats.evicted).toBe(evicted); // the count survives restarts
  });

  it('evicts reports older than its age bound', () => {
    const [d, q] = dirs();
    const s = new Spool(d, q, { maxAgeMs: 60_000 });
    s.append(rep(s, 'old', new Date(Date.now() - 3_600_000)));
    s.append(rep(s, 'new'));
    expect([...s.pending()].map((r) => r.id)).toEqual(['new']);
    expect(s.stats.evicted).toBe(1);
  });

  it('quarantines a corrupt file instead of failing, and keeps the rest', () => {
    const [d, q] = dirs();
    const s = new Spool(d, q);
    s.append(rep(s, 'good'));
    writeFileSync(join(d, '000000000099-bad.json'), '{"id":"bad", truncated');
    writeFileSync(join(d, 'garbage.bin'), Buffer.from([0, 1, 2]));
    const t = new Spool(d, q);
    expect([...t.pending()].map((r) => r.id)).toEqual(['good']);
    expect(t.stats.quarantined).toBe(2);
    expect(readdirSync(q).length).toBe(2);
  });

  it('discards a half-written temp file left by a crash (it was never acknowledged or sent)', () => {
    const [d, q] = dirs();
    const s = new Spool(d, q);
    s.append(rep(s, 'r1'));
    writeFileSync(join(d, '.000000000002-r2.json.abcd.tmp'), '{"id":"r2"');
    const t = new Spool(d, q);
    expect([...t.pending()].map((r) => r.id)).toEqual(['r1']);
    expect(existsSync(join(d, '.000000000002-r2.json.abcd.tmp'))).toBe(false);
  });

  it('moves a permanently refused report to quarantine, out of the send queue', () => {
    const [d, q] = dirs();
    const s = new Spool(d, q);
    s.append(rep(s, 'r1'));
    s.reject('r1');
    expect(s.size).toBe(0);
    expect(readdirSync(q).some((f) => f.includes('r1'))).toBe(true);
  });
});
