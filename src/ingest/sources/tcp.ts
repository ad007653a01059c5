/**
 * Syslog over TCP (RFC 6587; eventplane.md §8.3): octet counting and LF framing
 * (framing.ts), at most 256 connections, idle ones closed after 300 s. No drops: while the
 * source's queue is full every connection stops reading (TCP pushes back on the sender).
 * A framing error records an unparsed row and closes that connection only. Lines not yet
 * committed are lost if the process crashes (the sender saw them delivered).
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Clock, Logger } from '../../bus/index.js';
import type { SourceBatcher } from '../batcher.js';
import { normalizeIp } from '../normalize.js';
import { FrameDecoder } from './framing.js';
import { rawLineOf } from './lines.js';

export const TCP_MAX_CONNECTIONS = 256;
export const TCP_IDLE_MS = 300_000;

export interface TcpListenerOptions {
  readonly batcher: SourceBatcher;
  readonly host: string;
  readonly port: number;
  readonly maxLine: number;
  readonly log: Logger;
  readonly clock: Clock;
  /** Idle timeout (ms, default 300 s). */
  readonly idleMs?: number;
}

export class TcpListener {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private paused = false;
  connections = 0;
  framingErrors = 0;

  constructor(private readonly opts: TcpListenerOptions) {}

  start(): Promise<{ address: string; port: number }> {
    const server = createServer((socket) => this.onConnection(socket));
    server.maxConnections = TCP_MAX_CONNECTIONS;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.host, () => {
        server.off('error', reject);
        server.on('error', (err) => this.opts.log.warn({ err: err.message }, 'ingest tcp server error'));
        const a = server.address();
        resolve(typeof a === 'object' && a !== null ? { address: a.address, port: a.port } : { address: this.opts.host, port: this.opts.port });
      });
    });
  }

  private onConnection(socket: Socket): void {
    this.connections++;
    this.sockets.add(socket);
    const rowSource = `tcp:${normalizeIp(socket.remoteAddress ?? '') ?? socket.remoteAddress ?? 'unknown'}`;
    const decoder = new FrameDecoder(this.opts.maxLine);
    const { batcher } = this.opts;
    socket.setTimeout(this.opts.idleMs ?? TCP_IDLE_MS, () => socket.destroy());
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
    const handle = (frames: ReturnType<FrameDecoder['push']>): void => {
      const receivedAt = this.opts.clock.isoNow();
      try {
        for (const frame of frames) {
          if (frame.kind === 'line') {
            void batcher.add(rawLineOf(frame.line, receivedAt, rowSource));
          } else {
            this.framingErrors++;
            void batcher.add({ text: frame.preview.toString('utf8'), unparsed: { reason: frame.reason, position: null }, rowSource });
            socket.destroy();
          }
        }
      } catch {
        socket.destroy(); // the batcher failed for good; its error ends the worker
      }
      if (batcher.saturated) this.pauseAll();
    };
    socket.on('data', (chunk: Buffer) => {
      if (!decoder.failed) handle(decoder.push(chunk));
    });
    socket.on('end', () => handle(decoder.end()));
    if (this.paused) socket.pause();
  }

  /** Stops reading every connection until the queue has room. */
  private pauseAll(): void {
    if (this.paused) return;
    this.paused = true;
    for (const s of this.sockets) s.pause();
    this.opts.batcher.whenRoom().then(
      () => {
        this.paused = false;
        for (const s of this.sockets) s.resume();
      },
      () => undefined,
    );
  }

  close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
  }
}
