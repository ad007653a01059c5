/**
 * The workers of this build beyond `bus` and `api`, in start order
 * (CORRECTIONS #5.11). Each issue that adds a worker appends its definition.
 */
import { correlateWorker } from '../correlate/worker.js';
import { ingestWorker } from '../ingest/definition.js';
import { ttpWorker } from '../ttp/worker/index.js';
import { webhookWorker } from '../webhook/index.js';
import type { WorkerDefinition } from './types.js';

export const WORKERS: readonly WorkerDefinition[] = [ingestWorker, correlateWorker, ttpWorker, webhookWorker];
