/**
 * Issue 12 #7: GNOME answers only part of the question. gsettings values as in the Ubuntu 22.04
 * fixtures beside this file; a key gsettings cannot read prints an error on stderr and exits 1
 * ("No such key", or the schema missing from a minimal install).
 */
import { describe, expect, it } from 'vitest';
import { fail, fakeContext, ok } from '../../../../test/agent/fake-context.js';
import { collectLinux } from './linux.js';
import { spec } from './spec.js';

const session = {
  '/proc/2100/comm': 'gnome-shell\n',
  '/proc/2100/status': 'Name:\tgnome-shell\nUid:\t1000\t1000\t1000\t1000\n',
  '/etc/passwd': 'alice:x:1000:1000::/home/alice:/bin/bash\n',
};
const gs = (answers: Record<string, ReturnType<typeof ok>>) => (args: string[]) => answers[args[2]] ?? fail('failed', `No such key “${args[2]}”`);

describe('GNOME screen lock from partial gsettings answers', () => {
  it('lock-enabled true, idle-delay unreadable: unknown, and the reason says what gsettings answered', async () => {
    const obs = await collectLinux(fakeContext({ files: session, commands: { gsettings: gs({ 'lock-enabled': ok('true\n') }) } }));
    const v = spec.evaluate(obs, spec.defaults);
    expect(v.status).toBe('unknown');
    expect(obs.reason).toMatch(/lock-enabled is true/);
    expect(obs.reason).toMatch(/gsettings get idle-delay failed/);
    expect(obs.reason).not.toMatch(/not found/);
  });
  it('lock-enabled false alone is a fail', async () => {
    const obs = await collectLinux(fakeContext({ files: session, commands: { gsettings: gs({ 'lock-enabled': ok('false\n') }) } }));
    expect(spec.evaluate(obs, spec.defaults)).toMatchObject({ status: 'fail', summary: 'The screen does not lock when idle' });
  });
  it('idle-delay read, lock-enabled unreadable: unknown naming both', async () => {
    const obs = await collectLinux(fakeContext({ files: session, commands: { gsettings: gs({ 'idle-delay': ok('uint32 300\n') }) } }));
    expect(spec.evaluate(obs, spec.defaults).status).toBe('unknown');
    expect(obs.reason).toMatch(/idle-delay is 300/);
  });
  it('gsettings missing entirely: the reason says so', async () => {
    const obs = await collectLinux(fakeContext({ files: session, commands: {} }));
    expect(spec.evaluate(obs, spec.defaults).status).toBe('unknown');
    expect(obs.reason).toMatch(/gsettings get lock-enabled not found/);
  });
  it('idle-delay 0 (never blank) with lock enabled fails', async () => {
    const obs = await collectLinux(fakeContext({ files: session, commands: { gsettings: gs({ 'lock-enabled': ok('true\n'), 'idle-delay': ok('uint32 0\n') }) } }));
    expect(spec.evaluate(obs, spec.defaults).status).toBe('fail');
  });
});
