/** The shipped pack (ttp.md §5.2): read once at start; an invalid file is reported like any invalid candidate. */
import { silentLogger } from '../../bus/index.js';
import { builtinPackDir } from '../paths.js';
import { CandidateBook } from './book.js';
import { RuleDirectory, type FileState } from './directory.js';
import { Serial } from './serial.js';
import type { Candidate, RuleStore, StoreOptions } from './types.js';

export class BuiltinStore implements RuleStore {
  readonly source = 'builtin' as const;
  private readonly serial = new Serial();
  private readonly book: CandidateBook;
  private readonly directory: RuleDirectory;

  constructor(dir: string = builtinPackDir(), opts: StoreOptions) {
    this.book = new CandidateBook(this.source, this.serial, opts);
    this.directory = new RuleDirectory(dir, this.source, opts.validator, this.book, opts.log ?? silentLogger);
  }

  async start(signal: AbortSignal): Promise<void> {
    signal.addEventListener('abort', () => this.book.stop(), { once: true });
    await this.serial.run(() => this.directory.load());
    this.book.goLive();
  }

  candidates(): ReadonlyMap<string, Candidate> {
    return this.book.candidates();
  }

  onChange(cb: (ruleId: string) => void): void {
    this.book.onChange(cb);
  }

  files(): Map<string, FileState> {
    return this.directory.files();
  }
}
