/**
 * Syslog over UDP (RFC 5426; eventplane.md §8.3): one message per datagram, trailing LF
 * and NUL stripped, a 4 MiB receive buffer. At-most-once: a datagram that arrives while
 * the source's queue is full is dropped and counted (`dropped` in `ingest_sources`).
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Clock, Logger } from '../../bus/index.js';
import type { SourceBatcher } from '../batcher.js';
import { normalizeIp } from '../normalize.js';
import { decodeLine, TOO_LONG_KEEP } from './lines.js';

export const UDP_RECEIVE_BUFFER = 4 * 1024 * 1024;

export interface UdpListenerOptions {
  readonly batcher: SourceBatcher;
  readonly host: string;
  readonly port: number;
  /** DECNET_INGEST_MAX_LINE, bytes. */
  readonly maxLine: number;
  readonly log: Logger;
  readonly clock: Clock;
}

export class UdpListener {
  private socket: Socket | undefined;
  received = 0;

  constructor(private readonly opts: UdpListenerOptions) {}

  /** Binds; resolves with the bound address (port 0 picks one). */
  start(): Promise<{ address: string; port: number }> {
    const socket = createSocket({ type: isIPv6(this.opts.host) ? 'udp6' : 'udp4', reuseAddr: false });
    this.socket = socket;
    socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo.address));
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.opts.port, this.opts.host, () => {
        socket.off('error', reject);
        socket.on('error', (err) => this.opts.log.warn({ err: err.message }, 'ingest udp socket error'));
        try {
          socket.setRecvBufferSize(UDP_RECEIVE_BUFFER);
        } catch (err) {
          this.opts.log.debug({ err: err instanceof Error ? err.message : String(err) }, 'ingest udp: could not raise the receive buffer');
        }
        const a = socket.address();
        resolve({ address: a.address, port: a.port });
      });
    });
  }

  private onMessage(msg: Buffer, peer: string): void {
    this.received++;
    const { batcher } = this.opts;
    if (batcher.saturated) {
      batcher.dropped();
      return;
    }
    let end = msg.length;
    while (end > 0 && (msg[end - 1] === 0x0a || msg[end - 1] === 0x00)) end--;
    const rowSource = `udp:${normalizeIp(peer) ?? peer}`;
    const receivedAt = this.opts.clock.isoNow();
    try {
      if (end > this.opts.maxLine) {
        const { text } = decodeLine(msg.subarray(0, TOO_LONG_KEEP));
        void batcher.add({ text, unparsed: { reason: 'too_long', position: null }, rowSource, receivedAt });
        return;
      }
      const { text, invalidUtf8 } = decodeLine(msg.subarray(0, end));
      void batcher.add({ text, invalidUtf8, rowSource, receivedAt });
    } catch {
      // the batcher failed for good (its error ends the worker); nothing to do here
    }
  }

  close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    return new Promise((resolve) => (socket ? socket.close(() => resolve()) : resolve()));
  }
}
