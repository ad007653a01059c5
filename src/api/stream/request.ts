/**
 * The query of `GET /api/v1/stream` (eventplane.md §3.2, CORRECTIONS #5.7, #5.16):
 * `topics=<p>,<p>,...` splits on commas (so a pattern with a comma cannot be streamed),
 * at most 16 valid patterns, and a 400 names the bad one. `logs=1` adds the log feed
 * (log-feed.ts) with optional exact filters `decky`, `service`, `event_type`,
 * `attacker_ip`; at least one of `topics` and `logs=1` is required. The resume cursor is the
 * `Last-Event-ID` header or `?last_event_id=` (the header wins), `<seq>:<log id>`.
 * Viewers may not ask for a pattern the forbidden topics cover (403).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { covers, TopicError, validatePattern } from '../../bus/index.js';
import type { Role } from '../auth/tokens.js';
import { ApiError, forbidden } from '../errors.js';
import { parseCursor, type StreamCursor } from './frames.js';
import { normalizeIp } from '../../ingest/normalize.js';
import type { LogFeedFilter } from './log-feed.js';
import { forbiddenCover } from './viewer-filter.js';

export const MAX_STREAM_PATTERNS = 16;

export interface StreamRequest {
  /**
   * The patterns to stream, deduplicated and without any that another one covers
   * (the union is the same; fewer subscriptions, and one frame per event).
   */
  readonly patterns: readonly string[];
  /** The log feed's filters when `logs=1`, else undefined. */
  readonly logs: LogFeedFilter | undefined;
  /** Where to resume; undefined starts at the journal's head. */
  readonly cursor: StreamCursor | undefined;
}

function badQuery(path: string, message: string): ApiError {
  return new ApiError(400, 'validation_error', `invalid query: ${path}: ${message}`, [{ path, message }]);
}

/** A query value as fastify parses it: a string, or an array for a repeated key. */
function values(query: Record<string, unknown>, key: string): string[] | undefined {
  const v = query[key];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x): x is string => typeof x === 'string')) return v;
  return [String(v)];
}

function single(query: Record<string, unknown>, key: string): string | undefined {
  const v = values(query, key);
  if (v === undefined) return undefined;
  if (v.length !== 1) throw badQuery(key, 'give it once');
  return v[0];
}

/** Drops duplicates and patterns another one covers; keeps the first-given order. */
export function reducePatterns(patterns: readonly string[]): string[] {
  const unique = [...new Set(patterns)];
  return unique.filter((p, i) => !unique.some((q, j) => j !== i && covers(q, p)));
}

function readPatterns(query: Record<string, unknown>, logFeed: boolean): string[] {
  const raw = values(query, 'topics');
  if (raw === undefined || raw.every((v) => v === '')) {
    if (logFeed) return [];
    throw badQuery('topics', 'at least one pattern is required (topics=<pattern>,...), or the log feed (logs=1)');
  }
  // a repeated key counts like one comma-joined list
  const list = raw.join(',').split(',');
  if (list.length > MAX_STREAM_PATTERNS) throw badQuery('topics', `at most ${MAX_STREAM_PATTERNS} patterns, got ${list.length}`);
  for (const p of list) {
    try {
      validatePattern(p);
    } catch (err) {
      if (!(err instanceof TopicError)) throw err;
      throw badQuery('topics', `bad pattern ${JSON.stringify(p)}: ${err.token === undefined ? '' : `token ${JSON.stringify(err.token)} `}${err.reason}`);
    }
  }
  return list;
}

function readCursor(query: Record<string, unknown>, headers: IncomingHttpHeaders): StreamCursor | undefined {
  const header = headers['last-event-id'];
  const fromHeader = typeof header === 'string' && header.trim() !== '' ? header : undefined;
  const fromQuery = single(query, 'last_event_id');
  const text = fromHeader ?? (fromQuery === '' ? undefined : fromQuery);
  if (text === undefined) return undefined;
  const cursor = parseCursor(text);
  if (!cursor) throw badQuery(fromHeader === undefined ? 'last_event_id' : 'Last-Event-ID', 'expected <journal seq>:<log id>, as sent in the id: of a frame');
  return cursor;
}

/** Parses and checks the request (400), then the viewer rule (403). */
export function parseStreamRequest(query: Record<string, unknown>, headers: IncomingHttpHeaders, role: Role): StreamRequest {
  const logs = single(query, 'logs');
  if (logs !== undefined && logs !== '0' && logs !== '1') throw badQuery('logs', 'expected logs=1 (or 0)');
  const list = readPatterns(query, logs === '1');
  const cursor = readCursor(query, headers);
  if (role !== 'admin') {
    for (const p of list) {
      const cover = forbiddenCover(p);
      if (cover !== undefined) throw forbidden(`Viewers may not stream ${JSON.stringify(p)}: every topic it matches is under ${cover}`);
    }
  }
  return { patterns: reducePatterns(list), cursor, logs: logs === '1' ? logFilter(query) : undefined };
}

/** The log feed's exact filters (`attacker_ip` in normalizeIp's form, as stored). */
function logFilter(query: Record<string, unknown>): LogFeedFilter {
  const decky = single(query, 'decky');
  const service = single(query, 'service');
  const eventType = single(query, 'event_type');
  const ip = single(query, 'attacker_ip');
  return {
    ...(decky === undefined ? {} : { decky }),
    ...(service === undefined ? {} : { service }),
    ...(eventType === undefined ? {} : { eventType }),
    ...(ip === undefined ? {} : { attackerIp: normalizeIp(ip) ?? ip }),
  };
}
