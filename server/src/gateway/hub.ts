/**
 * Which devices are connected to this collector, and delivery of commands and revocations
 * to a device wherever it is connected: locally, or through PostgreSQL NOTIFY to the
 * collector process that holds its socket.
 */
import type { Db } from '../db/types.js';
import type { ServerCommand } from '#shared/protocol/messages.js';
import type { DeviceKeyCache } from './device-keys.js';
import { CLOSE } from '#shared/protocol/messages.js';

export interface AgentConnection {
  deviceId: string;
  send(msg: object): void;
  close(code: number, reason: string): void;
}

const CMD_CHANNEL = 'posture_cmd';
const DEVICE_CHANNEL = 'posture_device';

type CmdNote = { deviceId: string; command: ServerCommand };
type DeviceNote = { deviceId: string; action: 'revoked' | 'keys-changed' | 'key-replaced' };

export class Hub {
  private conns = new Map<string, AgentConnection>();
  private unlisten: (() => Promise<void>)[] = [];
  onConnectionCountChange?: (n: number) => void;

  constructor(private readonly db: Db, private readonly keys: DeviceKeyCache, private readonly revokedCode: number) {}

  async start(): Promise<void> {
    this.unlisten.push(
      await this.db.listen(CMD_CHANNEL, (payload) => {
        const note = safeParse<CmdNote>(payload);
        if (note) this.conns.get(note.deviceId)?.send(note.command);
      }),
      await this.db.listen(DEVICE_CHANNEL, (payload) => {
        const note = safeParse<DeviceNote>(payload);
        if (!note) return;
        this.keys.invalidate(note.deviceId);
        this.closeFor(note.deviceId, note.action);
      }),
    );
  }

  async stop(): Promise<void> {
    for (const u of this.unlisten) await u();
  }

  get size(): number {
    return this.conns.size;
  }
  connections(): IterableIterator<AgentConnection> {
    return this.conns.values();
  }
  isLocal(deviceId: string): boolean {
    return this.conns.has(deviceId);
  }

  /** Register a socket; an older socket of the same device is replaced. */
  add(conn: AgentConnection, replacedCode: number): void {
    const old = this.conns.get(conn.deviceId);
    if (old && old !== conn) old.close(replacedCode, 'replaced by a newer connection');
    this.conns.set(conn.deviceId, conn);
    this.onConnectionCountChange?.(this.conns.size);
  }
  remove(conn: AgentConnection): void {
    if (this.conns.get(conn.deviceId) === conn) this.conns.delete(conn.deviceId);
    this.onConnectionCountChange?.(this.conns.size);
  }

  /** Deliver a command here if the device is connected here, else to whichever collector has it. */
  async sendCommand(deviceId: string, command: ServerCommand): Promise<void> {
    const local = this.conns.get(deviceId);
    if (local) local.send(command);
    else await this.db.notify(CMD_CHANNEL, JSON.stringify({ deviceId, command } satisfies CmdNote));
  }

  /** Revoked and key-replaced devices lose their socket at once; the agent learns why from the code. */
  private closeFor(deviceId: string, action: DeviceNote['action']): void {
    if (action === 'revoked') this.conns.get(deviceId)?.close(this.revokedCode, 'device revoked');
    if (action === 'key-replaced') this.conns.get(deviceId)?.close(CLOSE.keyReplaced, 'an administrator replaced this device key');
  }

  async deviceChanged(deviceId: string, action: DeviceNote['action']): Promise<void> {
    this.keys.invalidate(deviceId);
    this.closeFor(deviceId, action);
    await this.db.notify(DEVICE_CHANNEL, JSON.stringify({ deviceId, action } satisfies DeviceNote));
  }
}

function safeParse<T>(s: string): T | null {
  try {
    return JSON.parse(s) as T;
  } catch {
    return null;
  }
}
