/**
 * Rule stores and hot reload (ttp.md §5.1–§5.3): the builtin pack, the watched directory
 * and `ttp_rules`, one interface and one validation, and the registry that turns their
 * candidates into the effective rules and one `RuleChange` per changed rule.
 */
export { STORE_PRECEDENCE, type Candidate, type CurrentText, type GoodDefinition, type RuleStore, type StoreOptions } from './types.js';
export { createRuleValidator, type RuleValidator, type RuleValidatorOptions, type ValidationTarget } from './validator.js';
export { BuiltinStore } from './builtin.js';
export { FilesystemStore, type FilesystemStoreOptions } from './filesystem.js';
export { DatabaseStore, type DatabaseStoreOptions } from './database.js';
export type { FileState } from './directory.js';
export { RuleRegistry, MAX_REPORTED_PROBLEMS, type CatalogEntry, type DefinitionRef, type EffectiveDefinition, type ReportedProblem, type RuleChange } from './registry.js';
