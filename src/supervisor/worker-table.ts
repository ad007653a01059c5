/**
 * The workers of this build beyond `bus` and `api`, in start order
 * (CORRECTIONS #5.11). Each issue that adds a worker appends its definition.
 */
import type { WorkerDefinition } from './types.js';

export const WORKERS: readonly WorkerDefinition[] = [];
