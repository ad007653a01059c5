/**
 * Small rules for the store tests, shaped like the shipped ones: an experimental rule with a
 * literal `contains` selection (no proof needed) and its four in-file tests, plus variants
 * that fail (a failing test, broken YAML) and one with a regex no verdict file knows.
 */
import { loadCatalog, memoryRegexSafety, type Catalog, type ProofVerdict, type RegexProver } from '../../../src/ttp/index.js';
import { packVerdictsFile } from '../../../src/ttp/paths.js';
import { createRuleValidator, type RuleValidator } from '../../../src/ttp/stores/index.js';

interface RuleOptions {
  readonly version?: number;
  /** Match with `command_text|re` instead of `contains`; `sample` is a line it matches. */
  readonly regex?: { readonly pattern: string; readonly sample: string };
}

export function ruleYaml(id: string, opts: RuleOptions = {}): string {
  const version = opts.version ?? 1;
  const word = opts.regex?.sample ?? `marker-${id.toLowerCase()}-v${version}`;
  const selection = opts.regex === undefined ? `command_text|contains: ${word}` : `command_text|re: '${opts.regex.pattern}'`;
  return [
    `id: ${id}`,
    `version: ${version}`,
    'name: store_test_rule',
    `title: Store test rule ${id}`,
    'status: experimental',
    'pending: needs nothing (a test rule)',
    'description: A rule the store tests write.',
    'inputs: [command]',
    'detection:',
    '  sel:',
    `    ${selection}`,
    '  condition: sel',
    'emits:',
    '  - {technique: T1059, tactic: TA0002, confidence: 0.5}',
    'tests:',
    `  - {name: fires alone, input: {kind: command, command_text: '${word}'}, expect: [T1059]}`,
    `  - {name: fires in a line, input: {kind: command, command_text: 'echo ${word} done'}, expect: [T1059]}`,
    "  - {name: quiet on ls, input: {kind: command, command_text: 'ls -la'}, expect: []}",
    "  - {name: quiet on a near miss, input: {kind: command, command_text: 'marker'}, expect: []}",
    '',
  ].join('\n');
}

/** Valid YAML and schema, but its must-fire test cannot fire: `test_failed`. */
export function failingYaml(id: string, version = 2): string {
  return ruleYaml(id, { version }).replace(/command_text: '([^']*)'}, expect: \[T1059\]/, "command_text: 'nothing here'}, expect: [T1059]");
}

/** Not YAML: the id cannot be read from it. */
export function brokenYaml(id: string): string {
  return `id: ${id}\nversion: 3\ndetection: [unclosed\n`;
}

/** A rule with a pattern no verdict file holds: validating it with cached proofs leaves it pending. */
export function unprovenYaml(id: string, version = 1): string {
  const base = `marker-${id.toLowerCase()}-v${version}`;
  return ruleYaml(id, { version, regex: { pattern: `${base}-[0-9]{1,3}`, sample: `${base}-42` } });
}

let catalog: Catalog | null = null;

/** A prover that holds every proof until `release()`: no proof runs by itself. */
export class GatedProver implements RegexProver {
  readonly asked: string[] = [];
  private waiting: ((v: ProofVerdict) => void)[] = [];

  prove(pattern: string): Promise<ProofVerdict> {
    this.asked.push(pattern);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  get held(): number {
    return this.waiting.length;
  }

  release(verdict: ProofVerdict = { status: 'safe', checker: 'automaton' }): void {
    const w = this.waiting;
    this.waiting = [];
    for (const resolve of w) resolve(verdict);
  }
}

/** The validator every store of a test shares: the pack's verdicts, proofs held by `prover`. */
export function testValidator(prover: RegexProver = new GatedProver()): RuleValidator {
  catalog ??= loadCatalog();
  return createRuleValidator({ catalog, regex: memoryRegexSafety([packVerdictsFile()], prover) });
}
