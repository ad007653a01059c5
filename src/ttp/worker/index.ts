/** The `ttp` worker (ttp.md §5–§7, §9.1, §9.5): rule runtime, sources, tag writes and events, backfill. */
export { ttpWorker } from './definition.js';
export { runTtp, TTP_WAKE_PATTERNS, TTP_LIVE_PATTERNS, TTP_LINK_PATTERN, type TtpDeps } from './run.js';
export { emptyTtpCounters, type TtpCounters } from './counters.js';
export { runBackfill, type BackfillOptions, type BackfillResult, type BackfillSource } from './backfill.js';
export { eventsForNewTags, type TtpEvent } from './events.js';
export { writeBatch, TTP_WORKER, type BatchWrite, type BatchResult, type SessionLink } from './tag-writer.js';
export { JOURNAL_INPUT_PATTERNS } from './sources.js';
export { AttackerLookup } from './attacker-lookup.js';
export { createRuleRuntime, loadEffectiveRules, type RuleRuntime, type RuleRuntimeOptions } from './rule-runtime.js';
