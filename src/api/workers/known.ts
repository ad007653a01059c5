/** The fixed worker list (eventplane.md §2), in display order, and the start-all order. */
export const KNOWN_WORKERS = ['api', 'bus', 'ingest', 'correlate', 'ttp', 'webhook', 'mutator', 'canary', 'intel', 'cluster', 'attribution'] as const;
export type WorkerName = (typeof KNOWN_WORKERS)[number];

export const START_ALL_ORDER: readonly WorkerName[] = ['bus', 'api', 'ingest', 'correlate', 'intel', 'cluster', 'attribution', 'ttp', 'mutator', 'canary', 'webhook'];

export function isKnownWorker(name: string): name is WorkerName {
  return (KNOWN_WORKERS as readonly string[]).includes(name);
}
