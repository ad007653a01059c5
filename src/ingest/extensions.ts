/**
 * The extensions every ingest batch runs (extension.ts), in order. A concern that must
 * write or journal beside ingest's rows appends its extension here.
 */
import type { IngestExtension } from './extension.js';
import { sessionEndedExtension } from './session-ended.js';

export const INGEST_EXTENSIONS: readonly IngestExtension[] = Object.freeze([sessionEndedExtension]);
