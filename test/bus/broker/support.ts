/** Shared set-up for the broker tests: a short unique socket path and a broker that is closed after the test. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { startBroker, type Broker, type BrokerOptions } from '../../../src/bus/broker/index.js';
import { RawPeer, type RawPeerOptions } from '../../support/raw-peer.js';

const cleanups: Array<() => Promise<void> | void> = [];

afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

/** Registers `fn` to run after the current test (last registered runs first). */
export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

/** A fresh directory in the OS temp dir (removed after the test); short enough for sun_path. */
export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dbus-'));
  onCleanup(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A socket path in a fresh temp directory. */
export function socketPath(): string {
  return join(tempDir(), 'b.sock');
}

/** Starts a broker on a fresh path; it and its peers are closed after the test. */
export async function broker(opts: Partial<BrokerOptions> = {}): Promise<Broker> {
  const b = await startBroker({ socketPath: opts.socketPath ?? socketPath(), home: tempDir(), ...opts });
  onCleanup(() => b.close());
  return b;
}

/** Connects a raw peer, destroyed after the test. */
export async function peer(b: Broker | string, opts?: RawPeerOptions): Promise<RawPeer> {
  const p = await RawPeer.connect(typeof b === 'string' ? b : b.socketPath, opts);
  onCleanup(() => p.destroy());
  return p;
}

/** A v2 peer that has negotiated and subscribed to `patterns` (SUBOK received). */
export async function v2Peer(b: Broker, name: string, ...patterns: string[]): Promise<RawPeer> {
  const p = await peer(b);
  await p.helloV2(name);
  for (const pat of patterns) await p.sub(pat);
  return p;
}
