/**
 * What each verb from a client means to the broker (spec/bus.md §3.2–§3.5, CORRECTIONS
 * #3.2, #3.3, #3.12). The connection hands decoded frames here; this module decides, and
 * tells the router and the connection what to do. No sockets, no parsing of bytes.
 *
 * - Framing errors (thrown as ProtocolError, which closes that connection only): a verb a
 *   client may not send (`EVT`, `SUBOK`, `PONG`, `ERR`), a v2 verb (`PING`, `STATS`) on a
 *   connection that did not negotiate v2, a PUB or HELLO body that is not a JSON object.
 * - Refusals (the connection is kept, the refusal counted and logged rate-limited; v2 also
 *   gets `ERR <code>` with `{message, topic|pattern}`; v1 gets nothing, as it only ever
 *   receives EVT): `bad_topic`, `bad_pattern`, `bad_payload`, `too_large`.
 * - A body on SUB, UNSUB, BYE or PING is ignored.
 */
import { encodeFrame, scanPubBody, V1_VERB_SET, FROM_CLIENT, type Frame } from '../codec/index.js';
import { MAX_BODY_BYTES } from '../envelope.js';
import { ProtocolError } from '../errors.js';
import { isValidPattern } from '../grammar.js';
import type { RateLimitedLog } from '../log.js';
import type { Connection } from './connection.js';
import { topicReason, type Router } from './router.js';

/** Codes of `ERR` frames (bus.md §3.4, CORRECTIONS #3.3). */
export type RefusalCode = 'bad_topic' | 'bad_pattern' | 'bad_payload' | 'too_large';

/** What the broker says back to a HELLO `{"proto":2}` (args). */
export const SERVER_HELLO_NAME = 'decnet-bus';

/** Default cap on patterns per connection: memory stays bounded under a SUB flood. */
export const DEFAULT_MAX_PATTERNS = 65_536;

export interface ProtocolOptions {
  readonly router: Router;
  readonly refusals: RateLimitedLog;
  /** Server version in the HELLO reply. */
  readonly version: string;
  /** The JSON body of a STATS reply (already bounded to MAX_BODY_BYTES). */
  readonly statsBody: () => Buffer;
  /** A refusal or framing error happened (global counter). */
  readonly onRefused: () => void;
  readonly maxPatterns?: number;
}

/** Replies that never change, encoded once. */
const PONG = encodeFrame('PONG');

export class BrokerProtocol {
  private readonly helloReply: Buffer;
  private readonly maxPatterns: number;

  constructor(private readonly opts: ProtocolOptions) {
    this.helloReply = encodeFrame('HELLO', SERVER_HELLO_NAME, JSON.stringify({ proto: 2, server: opts.version, max_body: MAX_BODY_BYTES }));
    this.maxPatterns = opts.maxPatterns ?? DEFAULT_MAX_PATTERNS;
  }

  /** Handles one frame from `conn`; throws ProtocolError for a framing error. */
  onFrame(conn: Connection, frame: Frame): void {
    const verb = frame.verb;
    if (!FROM_CLIENT.has(verb)) throw new ProtocolError('unexpected_verb', `${verb} may only be sent by the broker`, 'dispatch');
    if (conn.proto === 1 && !V1_VERB_SET.has(verb)) {
      throw new ProtocolError('unexpected_verb', `${verb} needs protocol v2 (send HELLO with {"proto":2} first)`, 'dispatch');
    }
    switch (verb) {
      case 'PUB':
        return this.pub(conn, frame);
      case 'SUB':
        return this.sub(conn, frame.args);
      case 'UNSUB':
        return this.unsub(conn, frame.args);
      case 'HELLO':
        return this.hello(conn, frame);
      case 'PING':
        return conn.send(PONG);
      case 'STATS':
        return conn.send(encodeFrame('STATS', '', this.opts.statsBody()));
      case 'BYE':
        return conn.end('bye');
      default:
        // unreachable: FROM_CLIENT holds exactly the verbs above
        throw new ProtocolError('unexpected_verb', `${verb} is not handled`, 'dispatch');
    }
  }

  /** Detaches a closed connection's patterns from the router. */
  forget(conn: Connection): void {
    for (const p of conn.patterns) this.opts.router.remove(p, conn);
    conn.patterns.clear();
    this.opts.refusals.forget(refusalKey(conn));
  }

  /** Logs a framing error (rate-limited per connection) and counts it. */
  framingError(conn: Connection, err: ProtocolError): void {
    this.opts.onRefused();
    this.opts.refusals.warn(refusalKey(conn), { conn: conn.id, name: conn.name, code: err.code }, `closing bus connection on a framing error: ${err.message}`);
  }

  private pub(conn: Connection, frame: Frame): void {
    const res = this.opts.router.publish(frame.args, frame.body, conn);
    if (res.ok) return;
    if (res.code === 'bad_body') throw new ProtocolError('bad_body', `PUB ${frame.args}: ${res.message}`, 'dispatch');
    this.refuse(conn, res.code, res.message, 'topic', frame.args);
  }

  private sub(conn: Connection, pattern: string): void {
    if (!isValidPattern(pattern)) return this.refuse(conn, 'bad_pattern', topicReason(pattern, true), 'pattern', pattern);
    if (!conn.patterns.has(pattern)) {
      if (conn.patterns.size >= this.maxPatterns) {
        return this.refuse(conn, 'bad_pattern', `this connection already holds ${conn.patterns.size} patterns, the most the broker routes for one connection`, 'pattern', pattern);
      }
      conn.patterns.add(pattern);
      this.opts.router.add(pattern, conn);
    }
    // SUBOK goes out after the pattern is routed: a v2 client that awaits it misses nothing later
    if (conn.proto === 2) conn.send(encodeFrame('SUBOK', pattern));
  }

  private unsub(conn: Connection, pattern: string): void {
    if (!isValidPattern(pattern)) return this.refuse(conn, 'bad_pattern', topicReason(pattern, true), 'pattern', pattern);
    if (conn.patterns.delete(pattern)) this.opts.router.remove(pattern, conn);
  }

  private hello(conn: Connection, frame: Frame): void {
    conn.name = frame.args;
    if (frame.body.length === 0) return; // the reference client's HELLO: v1
    const scan = scanPubBody(frame.body); // validates one JSON object, depth-bounded
    if (!scan.ok && scan.code === 'bad_body') throw new ProtocolError('bad_body', `HELLO: ${scan.message}`, 'dispatch');
    const proto = (JSON.parse(frame.body.toString('utf8')) as Record<string, unknown>).proto;
    if (typeof proto === 'number' && proto >= 2) {
      conn.proto = 2;
      conn.send(this.helloReply);
    }
  }

  private refuse(conn: Connection, code: RefusalCode, message: string, key: 'topic' | 'pattern', subject: string): void {
    conn.refused++;
    this.opts.onRefused();
    this.opts.refusals.warn(refusalKey(conn), { conn: conn.id, name: conn.name, code, [key]: subject }, `refused: ${message}`);
    if (conn.proto === 2) conn.send(encodeFrame('ERR', code, JSON.stringify({ message, [key]: subject })));
  }
}

function refusalKey(conn: Connection): string {
  return `conn:${conn.id}`;
}
