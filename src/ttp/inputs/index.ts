/** Inputs (ttp.md §1): kinds and fields, schemas, content-derived ids, projection, and the log, journal and bus sources. */
export * from './kinds.js';
export * from './input.js';
export { inputId, idElements, canonicalJson } from './ids.js';
export { programsOf } from './programs.js';
export { inputSchema, rawInputSchema } from './schemas.js';
export { projectInput, normalizeOutcome, readTimestamp, sha256Hex, type Outcome, type ProjectOptions } from './derive.js';
export { inputsFromLogRow } from './from-log.js';
export { inputsFromJournalRow } from './from-journal.js';
export { inputsFromBusEvent } from './from-bus.js';
export { DEFAULT_INTERNAL_DECKY_PREFIX, type Projected, type ProjectionProblem, type SourceOptions } from './projection.js';
