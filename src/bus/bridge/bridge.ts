/**
 * The local↔NATS bridge (bus.md §5, CORRECTIONS #4.7, #4.8). It runs inside the broker
 * process (`decnet bus --bridge URL`) and uses the broker's in-process seams, never the
 * socket: there is no trusted-PUB verb a group member could use to spoof ids.
 *
 * - Export: local events matching `--export` go to NATS as they are (id and ts kept),
 *   with `Nats-Msg-Id` = id and `Decnet-Bridge` = this bridge's id. An envelope that
 *   would not fit the server's max_payload is skipped and counted.
 * - Import: NATS messages matching `--import` are handed to the router as pre-minted
 *   envelopes, with the bridge as their origin, so the bridge's own export listener
 *   never hears them (the broker's no-echo) and nothing is sent back.
 * - Loops: the NATS connection uses noEcho; an import carrying our own bridge id, or an
 *   id we exported, is dropped and counted (`loops_prevented`).
 * - Duplicates: an event matching two export patterns is exported once (same routing
 *   pass, same bytes), one matching two import patterns is imported once (recent ids).
 */
import { randomBytes } from 'node:crypto';
import type { Msg } from '@nats-io/transport-node';
import type { Broker } from '../broker/index.js';
import { systemClock, type Clock } from '../clock.js';
import { minimalCover, normalizePatterns } from '../durable/names.js';
import { RecentIds } from '../durable/queue.js';
import type { StreamSettings } from '../durable/settings.js';
import { isEventId } from '../envelope.js';
import { isValidTopic } from '../grammar.js';
import { RateLimitedLog, silentLogger, type Logger } from '../log.js';
import { BRIDGE_HEADER, type NatsSettings } from '../transports/nats-connection.js';
import { NatsLink, type LinkState } from './link.js';

/** What the bridge needs from the broker: its two in-process seams (and its end, to follow it). */
export type BridgeBroker = Pick<Broker, 'inject' | 'attachLocal'> & Partial<Pick<Broker, 'closed'>>;

export interface BridgeOptions extends NatsSettings {
  readonly broker: BridgeBroker;
  /** Local patterns forwarded to NATS. */
  readonly exports: readonly string[];
  /** NATS patterns forwarded to the local broker. */
  readonly imports: readonly string[];
  /** This bridge's id on the wire (default: 16 random hex digits). */
  readonly id?: string;
  /** The durable-topics stream to ensure on connect; undefined: none. */
  readonly stream?: StreamSettings;
  /** Exports kept while NATS is away (default 10,000). */
  readonly offlineBuffer?: number;
  readonly clock?: Clock;
  readonly log?: Logger;
}

export interface BridgeStats {
  readonly id: string;
  readonly nats: LinkState;
  readonly exports: readonly string[];
  readonly imports: readonly string[];
  /** Local events sent to NATS. */
  readonly exported: number;
  /** NATS messages handed to the local broker. */
  readonly imported: number;
  /** Exports over the server's max_payload (not sent). */
  readonly skipped_too_large: number;
  /** Events that would have gone back where they came from. */
  readonly loops_prevented: number;
  /** Second copies of one event (overlapping patterns), forwarded once. */
  readonly duplicates: number;
  /** Imports that are not decnet envelopes, or that the router refused. */
  readonly refused: number;
  /** Exports dropped while NATS was away (offline buffer full) or refused by the client. */
  readonly dropped_offline: number;
  /** Exports waiting for NATS now. */
  readonly buffered: number;
}

export interface Bridge {
  readonly id: string;
  /** Resolves once NATS is connected and the import subscriptions are flushed. */
  readonly ready: Promise<void>;
  stats(): BridgeStats;
  /** Detaches from the broker, flushes exports (≤ 1 s), closes NATS. Idempotent. */
  close(): Promise<void>;
}

/** Headers a bridge adds, bytes (generous): NATS/1.0 line, the two headers, CRLFs. */
const HEADER_ALLOWANCE = 128;
const ID_AT_START = /^\{\s*"v"\s*:\s*1\s*,\s*"id"\s*:\s*"([0-9a-f]{32})"/;

/** The envelope id: read from the head of the bytes (broker key order), else parsed. */
function envelopeId(envelope: Uint8Array): string | undefined {
  const head = Buffer.from(envelope.buffer, envelope.byteOffset, Math.min(envelope.length, 96)).toString('latin1');
  const m = ID_AT_START.exec(head);
  if (m) return m[1];
  try {
    const v = JSON.parse(Buffer.from(envelope.buffer, envelope.byteOffset, envelope.length).toString('utf8')) as { id?: unknown; payload?: unknown };
    return isEventId(v.id) && v.payload !== null && typeof v.payload === 'object' && !Array.isArray(v.payload) ? v.id : undefined;
  } catch {
    return undefined;
  }
}

/** The id of an imported body, only if it is a whole decnet envelope. */
function importedId(data: Uint8Array): string | undefined {
  try {
    const v = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.length).toString('utf8')) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    const e = v as { id?: unknown; payload?: unknown; ts?: unknown };
    if (!isEventId(e.id) || typeof e.ts !== 'number' || e.payload === null || typeof e.payload !== 'object' || Array.isArray(e.payload)) return undefined;
    return e.id;
  } catch {
    return undefined;
  }
}

class BridgeImpl implements Bridge {
  readonly id: string;
  readonly ready: Promise<void>;
  private readonly exportPatterns: string[];
  private readonly importPatterns: string[];
  private readonly link: NatsLink;
  private readonly log: Logger;
  private readonly refusals: RateLimitedLog;
  /** The broker never delivers our own injections to a listener carrying this origin. */
  private readonly origin = {};
  private readonly detach: Array<() => void> = [];
  private readonly exportedIds = new RecentIds<true>();
  private readonly importedIds = new RecentIds<true>();
  private lastExported: Uint8Array | undefined;
  private closing: Promise<void> | undefined;
  private readonly counts = { exported: 0, imported: 0, skipped_too_large: 0, loops_prevented: 0, duplicates: 0, refused: 0 };

  constructor(private readonly opts: BridgeOptions) {
    this.id = opts.id ?? randomBytes(8).toString('hex');
    if (!/^[\x21-\x7e]{1,64}$/.test(this.id)) throw new RangeError(`bridge id must be 1-64 printable ASCII characters, got ${JSON.stringify(this.id)}`);
    this.exportPatterns = opts.exports.length ? minimalCover(normalizePatterns(opts.exports)) : [];
    this.importPatterns = opts.imports.length ? minimalCover(normalizePatterns(opts.imports)) : [];
    const clock = opts.clock ?? systemClock;
    this.log = opts.log ?? silentLogger;
    this.refusals = new RateLimitedLog(this.log, () => clock.now());
    this.link = new NatsLink({
      name: `decnet-bridge-${this.id}`,
      bridgeId: this.id,
      settings: opts,
      imports: this.importPatterns,
      onMessage: (msg) => this.onImport(msg),
      stream: opts.stream,
      offlineBuffer: opts.offlineBuffer ?? 10_000,
      clock,
      log: this.log,
    });
    this.ready = this.link.ready;
  }

  start(): void {
    for (const p of this.exportPatterns) this.detach.push(this.opts.broker.attachLocal(p, (topic, envelope) => this.onLocal(topic, envelope), this.origin));
    this.link.start();
    void this.opts.broker.closed?.then(() => this.close());
    this.log.info({ id: this.id, exports: this.exportPatterns, imports: this.importPatterns }, 'bridge started');
  }

  private onLocal(topic: string, envelope: Buffer): void {
    // two export patterns matching one event: the router hands both the same frame bytes in one pass
    const last = this.lastExported;
    if (last && last.buffer === envelope.buffer && last.byteOffset === envelope.byteOffset) {
      this.counts.duplicates++;
      return;
    }
    this.lastExported = envelope;
    const id = envelopeId(envelope);
    if (!id) {
      this.counts.refused++;
      this.refusals.warn('export', { topic }, 'bridge: local event without an envelope id; not exported');
      return;
    }
    if (this.importedIds.get(id)) {
      this.counts.loops_prevented++; // it came from NATS: never send it back
      return;
    }
    if (envelope.length + Buffer.byteLength(topic) + HEADER_ALLOWANCE > this.link.maxPayload) {
      this.counts.skipped_too_large++;
      this.refusals.warn('too_large', { topic, bytes: envelope.length, max_payload: this.link.maxPayload }, 'bridge: envelope over the NATS max_payload; not exported');
      return;
    }
    this.exportedIds.set(id, true);
    this.counts.exported++;
    this.link.send({ topic, id, envelope });
  }

  private onImport(msg: Msg): void {
    if (msg.headers?.get(BRIDGE_HEADER) === this.id) {
      this.counts.loops_prevented++;
      return;
    }
    const topic = msg.subject;
    const id = isValidTopic(topic) ? importedId(msg.data) : undefined;
    if (!id) {
      this.counts.refused++;
      this.refusals.warn('import', { topic }, 'bridge: NATS message is not a decnet envelope; not imported');
      return;
    }
    if (this.exportedIds.get(id)) {
      this.counts.loops_prevented++;
      return;
    }
    if (this.importedIds.get(id)) {
      this.counts.duplicates++;
      return;
    }
    this.importedIds.set(id, true);
    try {
      this.opts.broker.inject(topic, Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.length), this.origin);
      this.counts.imported++;
    } catch (err) {
      this.counts.refused++;
      this.refusals.warn('inject', { topic, err: err instanceof Error ? err.message : String(err) }, 'bridge: the broker refused an imported event');
    }
  }

  stats(): BridgeStats {
    return {
      id: this.id,
      nats: this.link.state,
      exports: this.exportPatterns,
      imports: this.importPatterns,
      ...this.counts,
      dropped_offline: this.link.dropped,
      buffered: this.link.buffered,
    };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const d of this.detach.splice(0)) d();
      await this.link.close();
      this.log.info({ id: this.id, ...this.counts }, 'bridge stopped');
    })();
    return this.closing;
  }
}

/**
 * Starts a bridge on a running broker. Throws TopicError for a bad pattern,
 * BusConfigError for bad NATS settings. NATS may be down: the bridge keeps dialling.
 */
export function startBridge(opts: BridgeOptions): Bridge {
  const bridge = new BridgeImpl(opts);
  bridge.start();
  return bridge;
}
