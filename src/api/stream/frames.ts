/**
 * SSE framing (eventplane.md §3.1): a frame is `[id: <cursor>]`, `event: <name>`,
 * `data: <one-line JSON>`, then a blank line. `JSON.stringify` never emits a raw CR or
 * LF (it escapes them), and topics are printable ASCII, so one frame is always one
 * SSE event. Frames are built as strings once and written as they are.
 */

/** Client reconnect delay announced at the start of every stream (ms). */
export const RETRY_MS = 3000;
/** A comment frame: keeps proxies and the client's idle detection happy. */
export const KEEPALIVE_FRAME = ': keepalive\n\n';
/** Written once at the start of a stream, before any event. */
export const OPENING_FRAME = `retry: ${RETRY_MS}\n\n${KEEPALIVE_FRAME}`;

/** What an event frame's `data` carries (the envelope minus `v`). */
export interface EventData {
  /** The event id: for a journaled topic its journal `id` (CORRECTIONS, Across 3). */
  readonly id: string;
  readonly topic: string;
  readonly type: string;
  /** Epoch seconds. */
  readonly ts: number;
  readonly payload: Record<string, unknown>;
}

/** A resume position: the journal seq and the log id (always 0 until the log feed lands, #7). */
export interface StreamCursor {
  readonly seq: number;
  readonly log: number;
}

/** `<seq>:<log id>`, the `id:` of resumable frames and the `Last-Event-ID` a client returns. */
export function formatCursor(seq: number, log = 0): string {
  return `${seq}:${log}`;
}

/** Parses `<seq>:<log id>` (or a bare `<seq>`); undefined when it is not one. */
export function parseCursor(text: string): StreamCursor | undefined {
  const m = /^(\d{1,15})(?::(\d{1,15}))?$/.exec(text.trim());
  if (!m) return undefined;
  const seq = Number(m[1]);
  const log = m[2] === undefined ? 0 : Number(m[2]);
  return Number.isSafeInteger(seq) && Number.isSafeInteger(log) ? { seq, log } : undefined;
}

/** One SSE frame; `id` only for resumable frames. */
export function frame(event: string, data: unknown, id?: string): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** An id-only block: moves the client's Last-Event-ID without dispatching an event. */
export function cursorFrame(id: string): string {
  return `id: ${id}\n\n`;
}

/** An event frame, named after its topic. */
export function eventFrame(data: EventData, id?: string): string {
  return frame(data.topic, { id: data.id, topic: data.topic, type: data.type, ts: data.ts, payload: data.payload }, id);
}

/** Frames dropped from this client's queue (or its bus subscription) since the last frame. */
export function droppedGapFrame(dropped: number): string {
  return frame('gap', { dropped });
}

/**
 * A jump in the journal: `too_far_behind` (more than the replay limit after the cursor),
 * `pruned` (the cursor is older than the oldest retained row; `pruned` is at most how
 * many events of any topic went), `unknown_cursor` (the cursor is past the journal's head).
 * The frame carries the new cursor so a reconnect resumes after the jump.
 */
export function journalGapFrame(reason: 'too_far_behind' | 'pruned' | 'unknown_cursor', cursor: string, pruned?: number): string {
  return frame('gap', { dropped: null, reason, ...(pruned === undefined ? {} : { pruned }) }, cursor);
}

/** The last frame of a stream that ends on a failure. */
export const ERROR_FRAME = frame('error', { message: 'Stream interrupted' });
