/**
 * The "raw" unix harness (CORRECTIONS #3.8, #3.11): a socket that speaks the broker's
 * framing with the codec and nothing else, no client library in between. The publisher
 * writes PUB frames (`{"type":…,"payload":…}`) in bursts with one write each; the
 * subscriber decodes EVT frames and JSON.parses every body, as a real consumer would.
 * This is the unix side of the 0.75× comparison with nats-server and its official client.
 */
import net from 'node:net';
import { encodeFrame, FrameDecoder, type Frame } from '../../src/bus/codec/index.js';
import { nowMs } from './clock.js';
import { padFor, payloadJson, pubBody } from './payload.js';
import type { PubSink } from './publisher.js';
import { Tally } from './tally.js';

/** One raw connection: HELLO (v2, so SUB is acknowledged), then frames both ways. */
export class RawConn {
  private readonly decoder: FrameDecoder;
  private subOks = 0;
  private subOkWaiter: { n: number; resolve: () => void } | undefined;
  private drainWaiter: Promise<void> | undefined;
  onEvt: ((frame: Frame) => void) | undefined;

  private constructor(
    readonly socket: net.Socket,
    readonly name: string,
  ) {
    this.decoder = new FrameDecoder((frame) => this.onFrame(frame));
    socket.on('data', (chunk: Buffer) => {
      try {
        this.decoder.push(chunk);
      } catch (err) {
        // a broker bug, worth seeing; what the connection missed shows as loss
        process.stderr.write(`bus: ${name}: bad frame from the broker, connection closed: ${err instanceof Error ? err.message : String(err)}\n`);
        socket.destroy();
      }
    });
    socket.on('error', () => socket.destroy()); // resets at shutdown; a lost connection shows as loss
  }

  /** Connects and sends HELLO `{"proto":2}`. Rejects with the socket error (EMFILE, ECONNREFUSED, …). */
  static open(socketPath: string, name: string): Promise<RawConn> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection(socketPath);
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        socket.write(encodeFrame('HELLO', name, '{"proto":2}'));
        resolve(new RawConn(socket, name));
      });
    });
  }

  /** Sends SUB for each pattern (one write). */
  subscribe(patterns: readonly string[]): void {
    if (patterns.length === 0) return;
    this.socket.write(Buffer.concat(patterns.map((p) => encodeFrame('SUB', p))));
  }

  /** Resolves once `n` SUBOK frames have arrived on this connection in all. */
  subscribed(n: number): Promise<void> {
    if (this.subOks >= n) return Promise.resolve();
    return new Promise((resolve) => (this.subOkWaiter = { n, resolve }));
  }

  /** Writes; returns a promise when the socket pushed back (resolves on drain). */
  write(buf: Buffer): Promise<void> | undefined {
    if (this.socket.write(buf)) return undefined;
    this.drainWaiter ??= new Promise<void>((resolve) =>
      this.socket.once('drain', () => {
        this.drainWaiter = undefined;
        resolve();
      }),
    );
    return this.drainWaiter;
  }

  /** Sends BYE and closes; destroys after 1 s if the broker does not close its side. */
  close(): Promise<void> {
    const sock = this.socket;
    if (sock.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const cap = setTimeout(() => sock.destroy(), 1000);
      sock.once('close', () => {
        clearTimeout(cap);
        resolve();
      });
      sock.resume();
      sock.end(encodeFrame('BYE'));
    });
  }

  private onFrame(frame: Frame): void {
    if (frame.verb === 'EVT') {
      this.onEvt?.(frame);
    } else if (frame.verb === 'SUBOK') {
      this.subOks++;
      const w = this.subOkWaiter;
      if (w && this.subOks >= w.n) {
        this.subOkWaiter = undefined;
        w.resolve();
      }
    }
  }
}

/** Publishes PUB frames, one socket write per burst. */
export class RawUnixSink implements PubSink {
  private readonly pad: string;
  private burst: Buffer[] = [];

  private constructor(
    private readonly conn: RawConn,
    private readonly topic: string,
    private readonly index: number,
    payloadBytes: number,
  ) {
    this.pad = padFor(payloadBytes);
  }

  static async open(socketPath: string, topic: string, index: number, payloadBytes: number): Promise<RawUnixSink> {
    return new RawUnixSink(await RawConn.open(socketPath, `bench-raw-pub-${index}`), topic, index, payloadBytes);
  }

  send(phase: number, seq: number, t: number): void {
    this.burst.push(encodeFrame('PUB', this.topic, pubBody(payloadJson(this.index, seq, phase, t, this.pad))));
  }

  flush(): Promise<void> | undefined {
    if (this.burst.length === 0) return undefined;
    const buf = this.burst.length === 1 ? this.burst[0]! : Buffer.concat(this.burst);
    this.burst = [];
    return this.conn.write(buf);
  }

  close(): Promise<void> {
    return this.conn.close();
  }
}

/** Decodes EVT frames and parses every body into the tally. */
export async function rawUnixSubscriber(socketPath: string, topic: string, tally: Tally): Promise<RawConn> {
  const conn = await RawConn.open(socketPath, 'bench-raw-sub');
  conn.onEvt = (frame) => tally.record(parsePayload(frame.body), nowMs());
  conn.subscribe([topic]);
  await conn.subscribed(1);
  return conn;
}

/** The `payload` of a JSON envelope body; undefined (counted as malformed) when it does not parse. */
export function parsePayload(body: Buffer): unknown {
  try {
    return (JSON.parse(body.toString('utf8')) as { payload?: unknown }).payload;
  } catch {
    return undefined;
  }
}
