/**
 * The live path shared by every open stream of one app, so that the work per event is
 * done once, not once per client (eventplane.md §3; performance.md "API").
 *
 * - **One bus subscription per distinct pattern**, reference-counted over the streams
 *   that ask for it (the bus gives each subscription its own parsed copy).
 * - Streams with the same pattern list form a **group**. An event matching several of a
 *   group's patterns arrives once per subscription; the group takes it from the first of
 *   its patterns that matches, so each stream gets one frame per event.
 * - **Live-only events**: the frame (no `id:`) is built once, as bytes, and the same
 *   buffer goes to every stream that may see it (the viewer filter only drops); the copy
 *   of an event that another subscribed pattern also matches reuses it (by event id).
 * - **Journaled topics**: the live copy only wakes the streams. Their journal reads are
 *   coalesced: streams of one group at one cursor share the query, and a row's frame is
 *   built once (cached by seq) whichever read returns it. A read is shared only by streams
 *   whose last wake came before it started, so it sees every row that wake announced.
 * - A bus (re)connect wakes every stream once; a subscription the bus ends ends its streams.
 *
 * Each stream keeps its own queue, cursor and pacing (StreamSession); nothing here waits
 * on a client.
 */
import { matches, topics, type Bus, type BusEvent, type BusState, type Subscription } from '../../bus/index.js';
import type { JournalRepo, JournalRow } from '../../db/index.js';
import type { Role } from '../auth/tokens.js';
import { eventFrame, formatCursor } from './frames.js';
import { mayReceive } from './viewer-filter.js';

/** Journal rows read per query. */
export const JOURNAL_PAGE = 100;
/** Bound of each bus subscription's queue; the pump empties it at once, so it only fills when the loop stalls. */
const SUB_QUEUE = 1024;
/** Journal frames kept by seq, so streams at different cursors still share a row's frame. */
const ROW_FRAME_CACHE = 2048;
/**
 * Recent live frames by event id: an event matching several subscribed patterns arrives
 * once per subscription (each its own copy), and is still framed once.
 */
const LIVE_FRAME_CACHE = 64;

/** What the hub needs from a stream. */
export interface HubMember {
  readonly role: Role;
  /** A live-only event's frame; the same buffer goes to every member. */
  deliver(frame: Buffer): void;
  /** A journaled topic's live copy or a bus reconnect: read the journal after the cursor. */
  wake(): void;
  /** Events the bus dropped from a subscription this member uses. */
  noteDropped(n: number): void;
  /** The bus ended (or broke) a subscription this member uses. */
  routeEnded(err?: unknown): void;
}

/** A journal row as every stream of a group sends it. */
export interface SharedRow {
  readonly seq: number;
  /** A journaled topic (the durable set) that the stream's patterns match: it is sent at all. */
  readonly durable: boolean;
  /** May a viewer receive it (admins receive everything). */
  readonly viewerOk: boolean;
  /** `id: <seq>:0` frame, shared by every stream that sends the row. */
  readonly frame: Buffer;
}

/** One stream's place in the hub. */
export interface Membership {
  /** Resolves when every pattern is routed by the transport. */
  readonly ready: Promise<void>;
  /** Journal rows after `cursor` matching the stream's patterns (≤ JOURNAL_PAGE), shared when possible. */
  read(cursor: number): Promise<readonly SharedRow[]>;
  /** Leaves the hub (idempotent); the last stream of a pattern closes its subscription. */
  leave(): void;
}

interface Route {
  readonly pattern: string;
  readonly sub: Subscription;
  readonly groups: Set<Group>;
  seenDrops: number;
  /** Closed by the hub (its last stream left), so the end of its iterator is no news. */
  closed: boolean;
}

interface Group {
  readonly key: string;
  readonly patterns: readonly string[];
  readonly members: Set<HubMember>;
}

interface LiveFrame {
  readonly topic: string;
  readonly type: string;
  readonly ts: number;
  readonly frame: Buffer;
}

interface Read {
  readonly promise: Promise<readonly SharedRow[]>;
}

export interface StreamHubOptions {
  readonly bus: Bus;
  readonly journal: JournalRepo;
  /** The durable set (DECNET_DURABLE_TOPICS): these topics come from the journal. */
  readonly durableTopics: readonly string[];
}

export class StreamHub {
  private readonly routes = new Map<string, Route>();
  private readonly groups = new Map<string, Group>();
  private readonly reads = new Map<string, Read>();
  private readonly rowFrames = new Map<number, Buffer>();
  private readonly liveFrames = new Map<string, LiveFrame>();
  private offState: (() => void) | undefined;
  /** Counts wakes; a journal read is shared only among streams woken no later than its start. */
  private epoch = 0;

  constructor(private readonly o: StreamHubOptions) {}

  get busState(): BusState {
    return this.o.bus.state;
  }

  /** Distinct patterns subscribed (for tests and stats). */
  get subscriptions(): number {
    return this.routes.size;
  }

  /**
   * Adds a stream with its (valid, reduced) patterns. Throws what `bus.subscribe`
   * throws (a closed bus), having undone its own part.
   */
  join(member: HubMember, patterns: readonly string[]): Membership {
    const key = patterns.join('\n');
    let group = this.groups.get(key);
    const created = group === undefined;
    group ??= { key, patterns: [...patterns], members: new Set() };
    if (created) {
      const added: Route[] = [];
      try {
        for (const p of group.patterns) added.push(this.routeFor(p));
      } catch (err) {
        for (const r of added) this.unlinkGroup(r, group);
        throw err;
      }
      for (const r of added) r.groups.add(group);
      this.groups.set(key, group);
    }
    group.members.add(member);
    this.offState ??= this.o.bus.on('state', (change) => {
      if (change.state === 'connected') this.wakeAll();
    });
    const g = group;
    const ready = Promise.all(g.patterns.map((p) => this.routes.get(p)?.sub.ready)).then(() => undefined);
    // a stream does not wait for it while the bus is down: a failure then must not go unhandled
    ready.catch(() => undefined);
    let left = false;
    return {
      ready,
      read: (cursor) => this.read(g, cursor),
      leave: () => {
        if (left) return;
        left = true;
        this.leave(g, member);
      },
    };
  }

  /** Marks a wake that no hub event announced (a stream's first read): later reads start fresh. */
  touch(): void {
    this.epoch++;
  }

  private routeFor(pattern: string): Route {
    const existing = this.routes.get(pattern);
    if (existing) return existing;
    const sub = this.o.bus.subscribe(pattern, { queue: SUB_QUEUE });
    const route: Route = { pattern, sub, groups: new Set(), seenDrops: 0, closed: false };
    this.routes.set(pattern, route);
    void this.pump(route);
    return route;
  }

  private leave(group: Group, member: HubMember): void {
    if (!group.members.delete(member) || group.members.size > 0) return;
    if (this.groups.get(group.key) === group) this.groups.delete(group.key);
    for (const p of group.patterns) {
      const route = this.routes.get(p);
      if (route) this.unlinkGroup(route, group);
    }
    if (this.groups.size === 0) {
      this.offState?.();
      this.offState = undefined;
    }
  }

  private unlinkGroup(route: Route, group: Group): void {
    route.groups.delete(group);
    if (route.groups.size > 0) return;
    route.closed = true;
    this.routes.delete(route.pattern);
    void route.sub.close();
  }

  private async pump(route: Route): Promise<void> {
    let failure: unknown;
    try {
      for await (const event of route.sub) this.dispatch(route, event);
    } catch (err) {
      failure = err ?? new Error('subscription failed');
    }
    if (route.closed) return;
    // the bus ended the subscription (closing) or it broke: its streams end
    route.closed = true;
    if (this.routes.get(route.pattern) === route) this.routes.delete(route.pattern);
    for (const group of [...route.groups]) for (const m of [...group.members]) m.routeEnded(failure);
  }

  private dispatch(route: Route, event: BusEvent): void {
    const drops = route.sub.dropped - route.seenDrops;
    if (drops > 0) {
      route.seenDrops = route.sub.dropped;
      for (const group of route.groups) for (const m of group.members) m.noteDropped(drops);
    }
    const { topic } = event;
    if (topics.isDurableTopic(topic, this.o.durableTopics)) {
      this.epoch++;
      for (const group of route.groups) {
        if (!owner(group, topic, route.pattern)) continue;
        for (const m of group.members) {
          try {
            m.wake();
          } catch (err) {
            failMember(m, err);
          }
        }
      }
      return;
    }
    const viewerOk = mayReceive('viewer', topic);
    let frame: Buffer | undefined;
    for (const group of route.groups) {
      if (!owner(group, topic, route.pattern)) continue;
      for (const m of group.members) {
        if (m.role !== 'admin' && !viewerOk) continue;
        frame ??= this.liveFrame(event);
        try {
          m.deliver(frame);
        } catch (err) {
          failMember(m, err);
        }
      }
    }
  }

  /** The frame of a live event, shared with its copies from other subscriptions (same id, topic, type, ts). */
  private liveFrame(event: BusEvent): Buffer {
    const hit = this.liveFrames.get(event.id);
    if (hit && hit.topic === event.topic && hit.type === event.type && hit.ts === event.ts) return hit.frame;
    const frame = Buffer.from(eventFrame(event));
    this.liveFrames.set(event.id, { topic: event.topic, type: event.type, ts: event.ts, frame });
    if (this.liveFrames.size > LIVE_FRAME_CACHE) this.liveFrames.delete(this.liveFrames.keys().next().value as string);
    return frame;
  }

  private wakeAll(): void {
    this.epoch++;
    for (const group of [...this.groups.values()]) for (const m of [...group.members]) m.wake();
  }

  /**
   * Shares an in-flight read of the same group, cursor and epoch. A follower whose shared
   * read fails reads again on its own, so a failure ends only the stream whose read it was.
   */
  private read(group: Group, cursor: number): Promise<readonly SharedRow[]> {
    const key = `${this.epoch}\n${cursor}\n${group.key}`;
    const inFlight = this.reads.get(key);
    if (inFlight) return inFlight.promise.catch(() => this.query(group.patterns, cursor));
    const promise = this.query(group.patterns, cursor);
    this.reads.set(key, { promise });
    const done = (): void => {
      this.reads.delete(key);
    };
    promise.then(done, done);
    return promise;
  }

  private async query(patterns: readonly string[], cursor: number): Promise<readonly SharedRow[]> {
    const rows = await this.o.journal.readAfter(cursor, { patterns, limit: JOURNAL_PAGE });
    // the read matched the patterns exactly; no patterns (a log-feed-only stream) reads
    // every topic to move the cursor, and sends none of them
    const any = patterns.length > 0;
    return rows.map((row) => this.shareRow(row, any));
  }

  private shareRow(row: JournalRow, matched: boolean): SharedRow {
    let frame = this.rowFrames.get(row.seq);
    if (frame === undefined) {
      frame = Buffer.from(eventFrame(row, formatCursor(row.seq)));
      this.rowFrames.set(row.seq, frame);
      if (this.rowFrames.size > ROW_FRAME_CACHE) this.rowFrames.delete(this.rowFrames.keys().next().value as number);
    }
    return { seq: row.seq, durable: matched && topics.isDurableTopic(row.topic, this.o.durableTopics), viewerOk: mayReceive('viewer', row.topic), frame };
  }
}

/** A member that threw fails alone: the subscription and the other members carry on. */
function failMember(m: HubMember, err: unknown): void {
  m.routeEnded(err ?? new Error('stream failed'));
}

/** Does `group` take `topic` from the subscription of `pattern` (its first matching pattern)? */
function owner(group: Group, topic: string, pattern: string): boolean {
  if (group.patterns.length === 1) return true;
  for (const p of group.patterns) if (matches(p, topic)) return p === pattern;
  return false;
}
