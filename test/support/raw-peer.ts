/**
 * A raw test peer for the broker: connects to a UNIX socket, sends frames (or arbitrary
 * bytes) through the codec, and collects the frames it receives, decoded. It knows the
 * wire format and nothing else, so a test written with it pins the protocol itself — and
 * it can behave like the reference Python client (HELLO without a body, never reads
 * anything but EVT) or like a hostile one.
 *
 * Every wait has a generous safety limit that fails the test; none is a timing assertion.
 */
import { connect, type Socket } from 'node:net';
import { encodeFrame, FrameDecoder, type Verb } from '../../src/bus/codec/index.js';
import { SAFETY_MS } from './events.js';

export interface RawFrame {
  readonly verb: Verb;
  readonly args: string;
  /** A private copy of the body. */
  readonly body: Buffer;
}

/** The body of `frame` parsed as JSON. */
export function bodyJson<T = Record<string, unknown>>(frame: RawFrame): T {
  return JSON.parse(frame.body.toString('utf8')) as T;
}

type Pred = (f: RawFrame) => boolean;

interface Waiter {
  pred: Pred;
  resolve: (f: RawFrame) => void;
}

export interface RawPeerOptions {
  /** Do not read from the socket (a peer that never reads). Default false. */
  paused?: boolean;
  safetyMs?: number;
}

export class RawPeer {
  /** Every frame received, in order. */
  readonly frames: RawFrame[] = [];
  /** Resolves when the socket is closed (by either side). */
  readonly closed: Promise<void>;
  isClosed = false;
  /** Set when the bytes the broker sent did not decode (a broker bug). */
  decodeError: unknown;

  private readonly pending: RawFrame[] = [];
  private waiters: Waiter[] = [];
  private readonly decoder: FrameDecoder;
  private readonly safetyMs: number;

  private constructor(
    readonly socket: Socket,
    opts: RawPeerOptions,
  ) {
    this.safetyMs = opts.safetyMs ?? SAFETY_MS;
    this.decoder = new FrameDecoder((f) => this.onFrame({ verb: f.verb, args: f.args, body: Buffer.from(f.body) }));
    this.closed = new Promise((resolve) => socket.once('close', () => ((this.isClosed = true), resolve())));
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      try {
        this.decoder.push(chunk);
      } catch (err) {
        this.decodeError ??= err;
      }
    });
  }

  /** Connects to `path`; resolves once connected. */
  static connect(path: string, opts: RawPeerOptions = {}): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      if (opts.paused) socket.pause();
      const peer = new RawPeer(socket, opts);
      socket.once('connect', () => resolve(peer));
      socket.once('error', reject);
    });
  }

  /** Sends one frame; an object body is JSON-encoded. */
  send(verb: Verb, args = '', body?: Buffer | string | object): void {
    const b = body === undefined || typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
    this.socket.write(encodeFrame(verb, args, b));
  }

  /** Sends raw bytes, valid or not. */
  sendRaw(bytes: Buffer | string): void {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  /** The reference client's HELLO: a name and no body (protocol v1; no reply). */
  helloV1(name = 'raw-v1'): void {
    this.send('HELLO', name);
  }

  /** HELLO `{"proto":2}`; resolves with the broker's HELLO reply. */
  async helloV2(name = 'raw-v2'): Promise<RawFrame> {
    this.send('HELLO', name, { proto: 2 });
    return this.next((f) => f.verb === 'HELLO', 'the broker HELLO');
  }

  /** SUB on a v2 connection; resolves when its SUBOK arrives. */
  async sub(pattern: string): Promise<void> {
    this.send('SUB', pattern);
    await this.next((f) => f.verb === 'SUBOK' && f.args === pattern, `SUBOK ${pattern}`);
  }

  /** PUB with `{type, payload}` (or whatever body is given). */
  pub(topic: string, body: object | Buffer | string = { type: '', payload: {} }): void {
    this.send('PUB', topic, body);
  }

  /**
   * The next not-yet-taken frame matching `pred` (default: any), waiting for it if need
   * be. Frames that do not match stay available to later calls.
   */
  next(pred: Pred = () => true, what = 'a frame', safetyMs = this.safetyMs): Promise<RawFrame> {
    const i = this.pending.findIndex(pred);
    if (i >= 0) return Promise.resolve(this.pending.splice(i, 1)[0]!);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        pred,
        resolve: (f) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`raw peer: no ${what} before the safety limit (received ${this.frames.map((f) => f.verb).join(' ') || 'nothing'})`));
      }, safetyMs);
      this.waiters.push(waiter);
    });
  }

  /** Waits for `n` EVT frames on `topic` (any topic when omitted), taking them. */
  async evts(n: number, topic?: string, safetyMs = this.safetyMs): Promise<RawFrame[]> {
    const out: RawFrame[] = [];
    const pred: Pred = (f) => f.verb === 'EVT' && (topic === undefined || f.args === topic);
    for (let k = 0; k < n; k++) out.push(await this.next(pred, `EVT ${topic ?? ''} #${k + 1} of ${n}`, safetyMs));
    return out;
  }

  /** Waits until the socket closes, failing after the safety limit. */
  async waitClosed(safetyMs = this.safetyMs): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('raw peer: the connection was not closed before the safety limit')), safetyMs);
    });
    try {
      await Promise.race([this.closed, limit]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops / starts reading from the socket. */
  pause(): void {
    this.socket.pause();
  }
  resume(): void {
    this.socket.resume();
  }

  /** Half-closes (sends EOF), like a client that is done writing. */
  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onFrame(f: RawFrame): void {
    this.frames.push(f);
    const w = this.waiters.find((x) => x.pred(f));
    if (w) {
      this.waiters = this.waiters.filter((x) => x !== w);
      w.resolve(f);
    } else {
      this.pending.push(f);
    }
  }
}
