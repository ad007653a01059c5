/**
 * A directory of rule files feeding a store's candidates (ttp.md §5.2): one rule per file,
 * only names matching `RULE_FILE_NAME`, no subdirectories. A file claims the id its text
 * declares — or, when the text cannot say, the id it declared before, else its name's stem —
 * and of several files claiming one id the name sorting first wins; the others are
 * `duplicate_rule_id`. Reading (stat, read, hash, validate) is separate from committing, so
 * the filesystem store can read a failing file once more before reporting it.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../bus/index.js';
import { RULE_ID } from '../lint/header.js';
import { duplicate, RULE_FILE_NAME } from '../pack.js';
import type { Problem } from '../problems.js';
import type { RuleSourceKind } from '../rule.js';
import { sha256, type ValidationResult } from '../validate.js';
import type { CandidateBook } from './book.js';
import type { RuleValidator } from './validator.js';

/** What a listing compares (§5.2): a rescan reads a file again only when these moved. */
export interface FileStamp {
  readonly size: number;
  readonly mtimeMs: number;
}

/** A file as read and validated, not yet committed. */
export interface FileRead extends FileStamp {
  readonly name: string;
  readonly text: string;
  readonly hash: string;
  readonly result: ValidationResult;
}

interface FileEntry extends FileRead {
  readonly claim: string | null;
}

/** One file's view, duplicates included (their problems appear nowhere else). */
export interface FileState {
  readonly path: string;
  readonly rule_id: string | null;
  readonly content_sha256: string;
  readonly problems: readonly Problem[];
}

function stemId(name: string): string | null {
  const stem = name.replace(/\.ya?ml$/, '');
  return RULE_ID.test(stem) ? stem : null;
}

const byName = (a: FileEntry, b: FileEntry): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export class RuleDirectory {
  private readonly entries = new Map<string, FileEntry>();

  constructor(
    readonly dir: string,
    private readonly source: RuleSourceKind,
    private readonly validator: RuleValidator,
    private readonly book: CandidateBook,
    private readonly log: Logger,
  ) {}

  /** The rule files now in the directory with their stamps; empty when it is missing. */
  async list(): Promise<Map<string, FileStamp>> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      return new Map();
    }
    const out = new Map<string, FileStamp>();
    for (const name of names.filter((n) => RULE_FILE_NAME.test(n)).sort()) {
      const st = await stat(join(this.dir, name)).catch(() => null);
      if (st?.isFile()) out.set(name, { size: st.size, mtimeMs: st.mtimeMs });
    }
    return out;
  }

  /** Reads and commits every rule file: a store's initial load. */
  async load(): Promise<void> {
    for (const name of (await this.list()).keys()) {
      const read = await this.read(name);
      if (read !== 'same') await this.commit(name, read);
    }
  }

  /** Names read before (some may be gone since). */
  known(): string[] {
    return [...this.entries.keys()];
  }

  /** Whether a listing's stamp differs from the one last read (or the file is gone). */
  moved(name: string, stamp: FileStamp | undefined): boolean {
    const e = this.entries.get(name);
    return e === undefined || stamp === undefined || e.size !== stamp.size || e.mtimeMs !== stamp.mtimeMs;
  }

  /** Reads `name`: null when it is gone (or not a file), `same` when its content did not change. */
  async read(name: string): Promise<FileRead | null | 'same'> {
    const path = join(this.dir, name);
    let text: string;
    let stamp: FileStamp;
    try {
      const st = await stat(path); // before the read: a write after it moves the stamp again
      if (!st.isFile()) return null;
      stamp = { size: st.size, mtimeMs: st.mtimeMs };
      text = await readFile(path, 'utf8');
    } catch {
      return null;
    }
    const hash = sha256(text);
    const prev = this.entries.get(name);
    if (prev?.hash === hash) {
      this.entries.set(name, { ...prev, ...stamp });
      return 'same';
    }
    const result = await this.validator.validate(text, { source: this.source, file: path }, 'cached');
    return { name, ...stamp, text, hash, result };
  }

  /** Makes `read` (or the file's absence) what the directory holds, updating the ids it touches. */
  async commit(name: string, read: FileRead | null): Promise<void> {
    const prev = this.entries.get(name);
    let claim: string | null = null;
    if (read === null) {
      if (prev === undefined) return;
      this.entries.delete(name);
    } else {
      claim = read.result.ruleId ?? prev?.claim ?? stemId(name);
      this.entries.set(name, { ...read, claim });
    }
    for (const id of new Set([prev?.claim ?? null, claim])) if (id !== null) await this.derive(id);
  }

  /** Every file's view. */
  files(): Map<string, FileState> {
    const out = new Map<string, FileState>();
    for (const e of [...this.entries.values()].sort(byName)) {
      const path = join(this.dir, e.name);
      const winner = e.claim === null ? e : (this.claimants(e.claim)[0] ?? e);
      // The winner's problems are its candidate's (a landed proof updates those, not this entry).
      const current = e.claim === null ? undefined : this.book.candidates().get(e.claim)?.current;
      let problems = current?.content_sha256 === e.hash ? current.problems : e.result.problems;
      if (winner !== e) problems = duplicate({ file: path, result: e.result }, join(this.dir, winner.name)).result.problems;
      out.set(e.name, { path, rule_id: e.claim, content_sha256: e.hash, problems });
    }
    return out;
  }

  private claimants(id: string): FileEntry[] {
    return [...this.entries.values()].filter((e) => e.claim === id).sort(byName);
  }

  private async derive(id: string): Promise<void> {
    const [winner, ...losers] = this.claimants(id);
    if (winner === undefined) {
      this.book.remove(id);
      return;
    }
    for (const l of losers) this.log.warn({ file: join(this.dir, l.name), rule_id: id, first: join(this.dir, winner.name) }, 'duplicate rule id: the file sorting first wins');
    await this.book.set(id, { text: winner.text, path: join(this.dir, winner.name), result: winner.result });
  }
}
