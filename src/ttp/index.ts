/**
 * ATT&CK tagging, the pure half (ttp.md §1–§4, §10–§11): rule format and validation, the
 * engine, the catalogue, the shipped pack and its tests. The worker, stores and API build
 * on this surface.
 */
export { validateRule, sha256, type ValidateOptions, type ValidationResult } from './validate.js';
export { compileRule } from './compile.js';
export { TtpEngine, type Engine, type EngineOptions, type EngineStats } from './engine/engine.js';
export { buildIndex, EMPTY_INDEX, type RuleIndex, type IndexedRule, type RuleSetting } from './engine/rule-index.js';
export { tagId, type Tag, type Evidence } from './engine/tags.js';
export { TAG_NAMESPACE } from './engine/uuid.js';
export { runRuleTests, runRuleTest, type TestResult } from './testing.js';
export { loadRuleDir, loadPackIndex, validateFiles, listRuleFiles, regexSafetyFor, RULE_FILE_NAME, type FileValidation, type LoadedRules } from './pack.js';
export { coverageTable, embeddedCoverage, inputFieldsTable, between, COVERAGE_BEGIN, COVERAGE_END, FIELDS_BEGIN, FIELDS_END } from './coverage.js';
export { RECALL_CASES, recallCasesFor } from './recall-cases.js';
export { formatProblem, hasErrors, PROBLEM_CODES, ALL_PROBLEM_CODES, type Problem, type ProblemCode, type Severity } from './problems.js';
export { CONFIDENCE_FLOOR, type CompiledRule, type RuleDefinition, type RuleStatus, type RuleSourceKind } from './rule.js';
export { RegexSafety, memoryRegexSafety, enableBacktrackFallback, RecheckProver, VerdictCache, type RegexProver, type ProofVerdict } from './regex/index.js';
export { loadCatalog, Catalog, CatalogError, ATTACK_VERSION, ATTACK_NOTICE, type TechniqueEntry, type TacticEntry, type GroupEntry } from './catalog/index.js';
export { builtinPackDir, attackDataDir } from './paths.js';
export { textFacts, type TextFacts } from './text-facts.js';
export * from './inputs/index.js';
export * from './stores/index.js';
