/**
 * Correlation (analysis.md §1–§3): the `correlate` worker folds ingest's rows into
 * attacker profiles, sessions and credential-reuse findings; the API reads them back
 * (src/api/routes/attackers.ts), with a seam for later issues to add fields
 * (`AttackerApiExtension`, CORRECTIONS #7.15).
 */
export { correlateWorker, runCorrelate, emptyCounters, CORRELATE_WAKE_PATTERNS, type CorrelateCounters, type CorrelateDeps } from './worker.js';
export { runPass, type PassDeps, type PassResult } from './pass.js';
export { CORRELATE_WORKER } from './cursors.js';
export { runRebuild, type RebuildDeps, type RebuildResult } from './rebuild.js';
export { computeBehavior, classify, BEHAVIOR_CLASSES, type Behavior, type BehaviorClass } from './behavior.js';
export { INTERACTION_EVENT_TYPES, NOISE_EVENT_TYPES, COMMAND_EVENT_TYPES, activityKind, isInternalDecky, isInternalRow } from './vocabulary.js';
export { TRAVERSAL_SEPARATOR, firstContactOrder } from './deckies.js';
export { attackerTraversal, type Traversal, type TraversalHop, type TraversalMutation } from './traversal.js';
export type { ObservedPayload } from './profiles.js';
export type { ScoredPayload } from './scored.js';
export { REUSE_LIST_MAX, type ReuseDetectedPayload, type ReuseReason } from './reuse.js';
export { findAttackerByIp } from './lookup.js';
export { ATTACKER_API_EXTENSIONS, type AttackerApiExtension } from './api-extensions.js';
