/**
 * Messages between bench:api and its client processes (bench/api/clients.ts), over the
 * fork IPC channel with `serialization: 'advanced'` (typed arrays cross as they are).
 * Times are `performance.timeOrigin + performance.now()`, comparable across processes
 * of one machine.
 */

/** Parent → client process. */
export type ToClients =
  /** Sequential `GET /api/v1/workers`, token `i % tokens.length`, on one keep-alive socket. */
  | { readonly type: 'workers'; readonly base: string; readonly tokens: readonly string[]; readonly requests: number }
  /** Opens one stream per token on `path`; answers `sse-ready` once every stream is live. */
  | { readonly type: 'sse-open'; readonly base: string; readonly path: string; readonly tokens: readonly string[]; readonly expected: number }
  /** Closes the streams and answers `sse-result`. */
  | { readonly type: 'sse-stop' };

/** Client process → parent. */
export type FromClients =
  | { readonly type: 'workers-done'; readonly latencies: Float64Array; readonly elapsedMs: number; readonly failures: number }
  | { readonly type: 'sse-ready' }
  /** Every stream of this process got the `expected` bench events. */
  | { readonly type: 'sse-complete' }
  | {
      readonly type: 'sse-result';
      /** Arrival minus publish time of each bench event, ms. */
      readonly latencies: Float64Array;
      readonly received: number;
      readonly gaps: number;
      /** Events that arrived at or below a stream's last `i` (repeated or out of order). */
      readonly duplicates: number;
      /** CPU time this process used from all streams live to the stop, ms. */
      readonly cpuMs: number;
    }
  | { readonly type: 'error'; readonly message: string };

export const nowMs = (): number => performance.timeOrigin + performance.now();
