/** Inputs (ttp.md §1): kinds and fields, schemas, content-derived ids, projection. */
export * from './kinds.js';
export * from './input.js';
export { inputId, idElements, canonicalJson } from './ids.js';
export { programsOf } from './programs.js';
export { inputSchema, rawInputSchema } from './schemas.js';
export { projectInput, normalizeOutcome, readTimestamp, sha256Hex, type Outcome, type ProjectOptions } from './derive.js';
