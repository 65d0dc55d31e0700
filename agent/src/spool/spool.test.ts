import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spool } from './spool.js';
import { reportHash } from '#shared/evidence/chain.js';

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

  it('chains reports: each next link names the previous report\'s hash, across restarts and crashes', () => {
    const [d, q] = dirs();
    const a = new Spool(d, q);
    expect(a.chainNext()).toEqual({ seq: 1, prevHash: null });
    const r1 = rep(a, 'r1');
    a.append(r1);
    expect(a.chainNext()).toEqual({ seq: 2, prevHash: reportHash(r1.jws) });
    // A cycle that fails before spooling consumes nothing: no hole in the chain.
    expect(a.chainNext().seq).toBe(2);
    const r2 = rep(a, 'r2');
    a.append(r2);
    a.remove('r1');
    a.remove('r2'); // acknowledged: the files are gone, the chain head is not
    expect(new Spool(d, q).chainNext()).toEqual({ seq: 3, prevHash: reportHash(r2.jws) });
    // A crash after the report file landed but before the counters were saved: the newest
    // spooled report is the head.
    const b = new Spool(d, q);
    const r3 = rep(b, 'r3');
    b.append(r3);
    writeFileSync(join(d, 'counters.json'), JSON.stringify({ nextSeq: 3, evicted: 0, quarantined: 0, lastHash: reportHash(r2.jws) }));
    expect(new Spool(d, q).chainNext()).toEqual({ seq: 4, prevHash: reportHash(r3.jws) });
    expect(() => b.append({ ...rep(b, 'again'), seq: 2 })).toThrow(/already used/);
  });
});
