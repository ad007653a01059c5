/**
 * `ttp_rules` (ttp.md §5.2): definitions put through the API. Every `pollMs` the store
 * reads `(rule_id, content_sha256)`, fetches the rows whose hash moved and validates them
 * like files (a row edited by hand may be invalid); a vanished row removes its candidate.
 * Polling works for one worker or many and needs no subscription.
 */
import type { TtpRulesRepo } from '../../db/repositories/ttp-types.js';
import { silentLogger, systemClock, type Clock, type Logger, type TimerHandle } from '../../bus/index.js';
import type { Problem } from '../problems.js';
import type { ValidationResult } from '../validate.js';
import { CandidateBook } from './book.js';
import { Serial } from './serial.js';
import type { Candidate, RuleStore, StoreOptions } from './types.js';
import type { RuleValidator } from './validator.js';

export interface DatabaseStoreOptions extends StoreOptions {
  /** `DECNET_TTP_DB_POLL_MS`. */
  readonly pollMs?: number;
}

/** A row whose text declares another id is invalid: the row's key is the rule id. */
function underRowId(rowId: string, result: ValidationResult): ValidationResult {
  if (result.ruleId === null || result.ruleId === rowId) return result;
  const p: Problem = { code: 'bad_id', severity: 'error', file: null, line: null, column: null, rule_id: rowId, path: 'id', message: `the row is \`${rowId}\` but its text says \`${result.ruleId}\``, hint: 'a row holds the rule of its own id — put the text under that id' };
  return { ...result, rule: null, pending: [], problems: [...result.problems, p] };
}

export class DatabaseStore implements RuleStore {
  readonly source = 'database' as const;
  private readonly serial = new Serial();
  private readonly book: CandidateBook;
  private readonly validator: RuleValidator;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly pollMs: number;
  /** Rule id → the row's `content_sha256` as last read. */
  private readonly known = new Map<string, string>();
  private timer: TimerHandle | undefined;
  private stopped = false;

  constructor(
    private readonly repo: Pick<TtpRulesRepo, 'hashes' | 'getRules'>,
    opts: DatabaseStoreOptions,
  ) {
    this.validator = opts.validator;
    this.clock = opts.clock ?? systemClock;
    this.log = opts.log ?? silentLogger;
    this.pollMs = opts.pollMs ?? 1000;
    this.book = new CandidateBook(this.source, this.serial, opts);
  }

  async start(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.stop(), { once: true });
    await this.poll();
    this.book.goLive();
    if (!signal.aborted) this.nextPoll();
  }

  candidates(): ReadonlyMap<string, Candidate> {
    return this.book.candidates();
  }

  onChange(cb: (ruleId: string) => void): void {
    this.book.onChange(cb);
  }

  /** One poll now (the timer runs the same), e.g. right after this process wrote a row. */
  poll(): Promise<void> {
    return this.serial.run(() => this.pollNow());
  }

  private async pollNow(): Promise<void> {
    if (this.stopped) return;
    const hashes = await this.repo.hashes();
    const moved = [...hashes].filter(([id, hash]) => this.known.get(id) !== hash).map(([id]) => id);
    const rows = new Map((moved.length > 0 ? await this.repo.getRules(moved) : []).map((r) => [r.rule_id, r]));
    const gone = [...this.known.keys()].filter((id) => !hashes.has(id));
    for (const id of moved.sort()) {
      const row = rows.get(id);
      if (row === undefined) {
        gone.push(id); // deleted since the hashes were read
        continue;
      }
      const result = underRowId(id, await this.validator.validate(row.yaml, { source: this.source, file: null }, 'cached'));
      this.known.set(id, row.content_sha256);
      await this.book.set(id, { text: row.yaml, path: null, result });
    }
    for (const id of gone) {
      this.known.delete(id);
      this.book.remove(id);
    }
  }

  private nextPoll(): void {
    this.timer = this.clock.setTimeout(() => {
      this.poll()
        .catch((err: unknown) => this.log.warn({ err }, 'polling ttp_rules failed: keeping the candidates'))
        .finally(() => {
          if (!this.stopped) this.nextPoll();
        });
    }, this.pollMs);
  }

  private stop(): void {
    this.stopped = true;
    this.book.stop();
    this.clock.clearTimeout(this.timer);
  }
}
