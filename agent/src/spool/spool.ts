/**
 * The durable report spool. Every report is written here (fsync'd, atomic rename) before it
 * is sent and deleted only when the collector acknowledges its id, so a crash, reboot or
 * offline week loses nothing. Bounded by total size and age; eviction is oldest-first and
 * counted (the count travels in every report), never silent. A corrupt file is moved to
 * quarantine instead of stopping the agent.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { reportHash } from '#shared/evidence/chain.js';
import { writeFileAtomic, fsyncDir } from '../state/atomic.js';

export interface SpooledReport {
  id: string;
  seq: number;
  createdAt: string;
  jws: string;
}

interface Entry {
  file: string;
  id: string;
  seq: number;
  size: number;
  createdAtMs: number;
}

export interface SpoolCounters {
  nextSeq: number;
  evicted: number;
  quarantined: number;
  /** reportHash() of the last report appended (the next report's prevHash); null before the first. */
  lastHash: string | null;
}

export interface SpoolOptions {
  maxBytes?: number;
  maxAgeMs?: number;
}

const NAME = /^(\d{12})-([A-Za-z0-9._:-]{1,64})\.json$/;

export class Spool {
  private entries: Entry[] = [];
  private counters: SpoolCounters = { nextSeq: 1, evicted: 0, quarantined: 0, lastHash: null };
  private readonly maxBytes: number;
  private readonly maxAgeMs: number;
  private readonly countersFile: string;

  constructor(private readonly dir: string, private readonly quarantineDir: string, opts: SpoolOptions = {}) {
    this.maxBytes = opts.maxBytes ?? 50 * 1024 * 1024;
    this.maxAgeMs = opts.maxAgeMs ?? 30 * 86_400_000;
    this.countersFile = join(dir, 'counters.json');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.load();
  }

  private load(): void {
    if (existsSync(this.countersFile)) {
      try {
        const c = JSON.parse(readFileSync(this.countersFile, 'utf8'));
        if (Number.isInteger(c.nextSeq)) {
          const lastHash = typeof c.lastHash === 'string' && /^[a-f0-9]{64}$/.test(c.lastHash) ? c.lastHash : null;
          this.counters = { nextSeq: c.nextSeq, evicted: c.evicted | 0, quarantined: c.quarantined | 0, lastHash };
        }
      } catch {
        /* rebuilt from the files below; counts may restart but sequence stays monotonic */
      }
    }
    for (const f of readdirSync(this.dir)) {
      if (f === 'counters.json') continue;
      if (f.startsWith('.') && f.endsWith('.tmp')) {
        // An interrupted write from a crash: never renamed, so never acknowledged; discard.
        unlinkSync(join(this.dir, f));
        continue;
      }
      const m = NAME.exec(f);
      const full = join(this.dir, f);
      if (!m) {
        this.quarantine(full, f);
        continue;
      }
      const parsed = this.readEntry(full);
      if (!parsed) {
        this.quarantine(full, f);
        continue;
      }
      this.entries.push({ file: f, id: m[2], seq: Number(m[1]), size: statSync(full).size, createdAtMs: Date.parse(parsed.createdAt) });
    }
    this.entries.sort((a, b) => a.seq - b.seq);
    const newest = this.entries[this.entries.length - 1];
    if (newest && this.counters.nextSeq <= newest.seq) {
      // A crash between writing the report and saving the counters: the newest spooled report
      // is the chain head.
      this.counters.nextSeq = newest.seq + 1;
      const r = this.readEntry(join(this.dir, newest.file));
      if (r) this.counters.lastHash = reportHash(r.jws);
    }
  }

  private readEntry(full: string): SpooledReport | null {
    try {
      const r = JSON.parse(readFileSync(full, 'utf8')) as SpooledReport;
      if (typeof r.id !== 'string' || typeof r.jws !== 'string' || !Number.isInteger(r.seq) || Number.isNaN(Date.parse(r.createdAt))) return null;
      return r;
    } catch {
      return null;
    }
  }

  private quarantine(full: string, name: string): void {
    mkdirSync(this.quarantineDir, { recursive: true, mode: 0o700 });
    try {
      renameSync(full, join(this.quarantineDir, `${Date.now()}-${name}`));
    } catch {
      try {
        unlinkSync(full);
      } catch {
        /* already gone */
      }
    }
    this.counters.quarantined++;
    this.saveCounters();
  }

  private saveCounters(): void {
    writeFileAtomic(this.countersFile, JSON.stringify(this.counters));
  }

  /**
   * The next per-device sequence number and the previous report's hash, for the report being
   * built. Nothing is consumed until append(): a cycle that fails before spooling its report
   * leaves no hole in the device's chain.
   */
  chainNext(): { seq: number; prevHash: string | null } {
    return { seq: this.counters.nextSeq, prevHash: this.counters.lastHash };
  }

  /** @deprecated use chainNext(); kept for callers that only need the number. */
  nextSeq(): number {
    return this.counters.nextSeq;
  }

  /**
   * Durably store a signed report and advance the chain (seq and lastHash persisted after the
   * report file is renamed into place). Returns how many old reports were evicted to make room.
   */
  append(r: SpooledReport): number {
    if (r.seq < this.counters.nextSeq) throw new Error(`spool: seq ${r.seq} already used (next is ${this.counters.nextSeq})`);
    const file = `${String(r.seq).padStart(12, '0')}-${r.id}.json`;
    const body = JSON.stringify(r);
    writeFileAtomic(join(this.dir, file), body);
    this.entries.push({ file, id: r.id, seq: r.seq, size: Buffer.byteLength(body), createdAtMs: Date.parse(r.createdAt) });
    this.counters.nextSeq = r.seq + 1;
    this.counters.lastHash = reportHash(r.jws);
    this.saveCounters();
    return this.enforceBounds();
  }

  private enforceBounds(now = Date.now()): number {
    let evicted = 0;
    let total = this.entries.reduce((a, e) => a + e.size, 0);
    // Oldest first; the newest report is always kept so the collector learns the current state.
    while (this.entries.length > 1 && (total > this.maxBytes || now - this.entries[0].createdAtMs > this.maxAgeMs)) {
      const e = this.entries.shift()!;
      total -= e.size;
      try {
        unlinkSync(join(this.dir, e.file));
      } catch {
        /* gone already */
      }
      evicted++;
    }
    if (evicted) {
      this.counters.evicted += evicted;
      this.saveCounters();
      fsyncDir(this.dir);
    }
    return evicted;
  }

  /** Pending reports, oldest first. A file that became unreadable is quarantined and skipped. */
  *pending(): Generator<SpooledReport> {
    for (const e of [...this.entries]) {
      const r = this.readEntry(join(this.dir, e.file));
      if (r) yield r;
      else {
        this.entries = this.entries.filter((x) => x !== e);
        if (existsSync(join(this.dir, e.file))) this.quarantine(join(this.dir, e.file), e.file);
      }
    }
  }

  has(id: string): boolean {
    return this.entries.some((e) => e.id === id);
  }

  /** The collector acknowledged (committed) this report: forget it. */
  remove(id: string): boolean {
    const i = this.entries.findIndex((e) => e.id === id);
    if (i < 0) return false;
    const [e] = this.entries.splice(i, 1);
    try {
      unlinkSync(join(this.dir, e.file));
    } catch {
      /* gone already */
    }
    return true;
  }

  /** A report the collector permanently refused: keep it for inspection, out of the send queue. */
  reject(id: string): void {
    const e = this.entries.find((x) => x.id === id);
    if (!e) return;
    this.entries = this.entries.filter((x) => x !== e);
    this.quarantine(join(this.dir, e.file), e.file);
  }

  get size(): number {
    return this.entries.length;
  }
  get bytes(): number {
    return this.entries.reduce((a, e) => a + e.size, 0);
  }
  get stats(): SpoolCounters & { pending: number; bytes: number } {
    return { ...this.counters, pending: this.entries.length, bytes: this.bytes };
  }
}
