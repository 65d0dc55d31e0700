import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { softwareListHash, type Inventory } from '#shared/protocol/inventory.js';
import { loadSoftwareSent, saveSoftwareSent, SOFTWARE_RESEND_MS, softwareDelta } from './software-delta.js';

const inv = (software?: Inventory['software']): Inventory => ({
  hostname: 'h', os: { platform: 'linux' }, hardware: {}, cpu: {}, memoryBytes: 1, disks: [], network: [], users: [], ...(software ? { software } : {}),
}) as unknown as Inventory;
const list = [{ name: 'bash', version: '5.2' }, { name: 'curl', version: '7.88' }];
const t0 = new Date('2026-12-06T10:00:00Z');

describe('software list by hash', () => {
  it('without the collector feature: the whole list and no hash, nothing remembered', () => {
    const r = softwareDelta(inv(list), { accepts: false, last: { hash: softwareListHash(list), at: t0.toISOString() } }, t0);
    expect(r.inventory.software).toEqual(list);
    expect(r.inventory).not.toHaveProperty('softwareHash');
    expect(r.sent).toBeNull();
  });

  it('first report: list and hash; same list within a day: hash only; changed or a day old: list again', () => {
    const first = softwareDelta(inv(list), { accepts: true, last: null }, t0);
    expect(first.inventory.software).toEqual(list);
    expect(first.inventory.softwareHash).toBe(softwareListHash(list));
    expect(first.sent).toEqual({ hash: softwareListHash(list), at: t0.toISOString() });

    const st = { accepts: true, last: first.sent };
    const later = softwareDelta(inv(list), st, new Date(t0.getTime() + 3600_000));
    expect(later.inventory).not.toHaveProperty('software');
    expect(later.inventory.softwareHash).toBe(softwareListHash(list));
    expect(later.sent).toBeNull();

    const changedList = [...list, { name: 'nmap', version: '7.93' }];
    const changed = softwareDelta(inv(changedList), st, new Date(t0.getTime() + 3600_000));
    expect(changed.inventory.software).toEqual(changedList);
    expect(changed.inventory.softwareHash).toBe(softwareListHash(changedList));
    expect(changed.inventory.softwareHash).not.toBe(softwareListHash(list));

    expect(softwareDelta(inv(list), st, new Date(t0.getTime() + SOFTWARE_RESEND_MS)).inventory.software).toEqual(list);
    // A clock set back is no reason to leave the list out.
    expect(softwareDelta(inv(list), st, new Date(t0.getTime() - 60_000)).inventory.software).toEqual(list);
  });

  it('a version change alone changes the hash', () => {
    expect(softwareListHash([{ name: 'bash', version: '5.2' }])).not.toBe(softwareListHash([{ name: 'bash', version: '5.2.1' }]));
    expect(softwareListHash([{ name: 'bash', version: null }])).not.toBe(softwareListHash([{ name: 'bash', version: '' }]));
  });

  it('no software collected: nothing added', () => {
    const r = softwareDelta(inv(), { accepts: true, last: null }, t0);
    expect(r.inventory).not.toHaveProperty('software');
    expect(r.inventory).not.toHaveProperty('softwareHash');
  });

  it('the state file round-trips; a damaged one reads as "nothing sent, feature unknown"', () => {
    const dir = mkdtempSync(join(tmpdir(), 'posture-swsent-'));
    try {
      expect(loadSoftwareSent(dir)).toEqual({ accepts: false, last: null });
      const st = { accepts: true, last: { hash: softwareListHash(list), at: t0.toISOString() } };
      saveSoftwareSent(dir, st);
      expect(loadSoftwareSent(dir)).toEqual(st);
      writeFileSync(join(dir, 'software-sent.json'), '{"accepts":true,"last":{"hash":"zz","at":1}}');
      expect(loadSoftwareSent(dir)).toEqual({ accepts: true, last: null });
      writeFileSync(join(dir, 'software-sent.json'), 'not json');
      expect(loadSoftwareSent(dir)).toEqual({ accepts: false, last: null });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
