/**
 * A store's candidates (ttp.md §5.3): per rule id the current text and the last valid
 * definition. A valid text becomes the good definition; an invalid or pending one keeps the
 * previous good definition, or — after a restart, when there is none — the seed text if it
 * still validates. A pending text is proven in the background and applied when its proof
 * lands. Changes are reported once per rule, only after the initial load.
 */
import { silentLogger, systemClock, type Clock, type Logger } from '../../bus/index.js';
import type { RuleSourceKind } from '../rule.js';
import { textFacts } from '../text-facts.js';
import type { ValidationResult } from '../validate.js';
import type { Serial } from './serial.js';
import type { Candidate, GoodDefinition, StoreOptions } from './types.js';
import type { RuleValidator } from './validator.js';

/** A text as the store read it, with its validation. */
export interface ReadText {
  readonly text: string;
  readonly path: string | null;
  readonly result: ValidationResult;
}

function sameCandidate(a: Candidate, b: Candidate): boolean {
  return (
    a.good?.content_sha256 === b.good?.content_sha256 &&
    a.good?.path === b.good?.path &&
    a.current.content_sha256 === b.current.content_sha256 &&
    a.current.valid === b.current.valid &&
    a.current.pending === b.current.pending &&
    a.current.path === b.current.path &&
    JSON.stringify(a.current.problems) === JSON.stringify(b.current.problems)
  );
}

function goodOf(read: ReadText): GoodDefinition | null {
  const rule = read.result.rule;
  return rule === null ? null : { rule, yaml: read.text, content_sha256: read.result.contentSha256, version: rule.def.version, path: read.path };
}

export class CandidateBook {
  private readonly map = new Map<string, Candidate>();
  private readonly seed: Map<string, string>;
  private readonly listeners: ((ruleId: string) => void)[] = [];
  /** `rule id \0 hash` of the texts being proven. */
  private readonly proving = new Set<string>();
  private readonly validator: RuleValidator;
  private readonly clock: Clock;
  private readonly log: Logger;
  private live = false;
  private stopped = false;

  /** @param serial the store's queue: proofs land through it, so they never race a read. */
  constructor(
    private readonly source: RuleSourceKind,
    private readonly serial: Serial,
    opts: StoreOptions,
  ) {
    this.validator = opts.validator;
    this.seed = new Map(opts.seed ?? []);
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log ?? silentLogger;
  }

  candidates(): ReadonlyMap<string, Candidate> {
    return this.map;
  }

  onChange(cb: (ruleId: string) => void): void {
    this.listeners.push(cb);
  }

  /** The initial load is done: report changes from now on. */
  goLive(): void {
    this.live = true;
  }

  stop(): void {
    this.stopped = true;
  }

  /** Rule `ruleId`'s current text in this store. Runs inside the store's queue. */
  async set(ruleId: string, read: ReadText): Promise<void> {
    const prev = this.map.get(ruleId);
    const r = read.result;
    const pending = r.pending.length > 0;
    // A re-read of a text whose proof has already landed must not make it pending again.
    if (pending && prev && !prev.current.pending && prev.current.content_sha256 === r.contentSha256) return;
    const fresh = goodOf(read);
    if (fresh) this.seed.delete(ruleId);
    const good = fresh ?? prev?.good ?? (await this.fromSeed(ruleId));
    const sameText = prev?.current.content_sha256 === r.contentSha256;
    const next: Candidate = {
      rule_id: ruleId,
      good,
      current: { content_sha256: r.contentSha256, version: r.rule?.def.version ?? textFacts(read.text).version, valid: r.rule !== null, pending, problems: r.problems, path: read.path, seen_at: sameText && prev ? prev.current.seen_at : this.clock.isoNow() },
    };
    if (prev && sameCandidate(prev, next)) return;
    this.map.set(ruleId, next);
    if (pending) this.prove(ruleId, read);
    this.emit(ruleId);
  }

  /** The store no longer has `ruleId`. */
  remove(ruleId: string): void {
    this.seed.delete(ruleId);
    if (this.map.delete(ruleId)) this.emit(ruleId);
  }

  private async fromSeed(ruleId: string): Promise<GoodDefinition | null> {
    const text = this.seed.get(ruleId);
    if (text === undefined) return null;
    this.seed.delete(ruleId);
    const result = await this.validator.validate(text, { source: this.source, file: null }, 'await');
    if (result.rule !== null && result.ruleId === ruleId) return goodOf({ text, path: null, result });
    this.log.warn({ rule_id: ruleId, source: this.source }, 'the last good text of a broken rule no longer validates');
    return null;
  }

  private prove(ruleId: string, read: ReadText): void {
    const key = `${ruleId}\0${read.result.contentSha256}`;
    if (this.proving.has(key)) return;
    this.proving.add(key);
    const land = async (result: ValidationResult): Promise<void> => {
      this.proving.delete(key);
      const cur = this.map.get(ruleId);
      if (this.stopped || !cur?.current.pending || cur.current.content_sha256 !== result.contentSha256) return;
      await this.set(ruleId, { ...read, result });
    };
    this.validator
      .validate(read.text, { source: this.source, file: read.path }, 'await')
      .then((result) => this.serial.run(() => land(result)))
      .catch((err: unknown) => {
        this.proving.delete(key);
        this.log.error({ err, rule_id: ruleId, source: this.source }, 'proving a rule’s regexes failed');
      });
  }

  private emit(ruleId: string): void {
    if (!this.live || this.stopped) return;
    for (const cb of this.listeners) {
      try {
        cb(ruleId);
      } catch (err) {
        this.log.error({ err, rule_id: ruleId }, 'a rule change listener threw');
      }
    }
  }
}
