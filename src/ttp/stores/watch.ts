/**
 * `fs.watch` on a rules directory, reporting the rule file names that had events. The
 * watch is tied to the directory's device and inode: `ensure()` (run by every rescan)
 * re-arms it when the path now names another directory (replaced, e.g. by a deploy tool)
 * or the watch died. Events for other names (swap files, backups, dotfiles, `4913`
 * probes) are dropped without a word.
 */
import { watch, type FSWatcher } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Logger } from '../../bus/index.js';
import { RULE_FILE_NAME } from '../pack.js';

async function identityOf(dir: string): Promise<string | null> {
  try {
    const st = await stat(dir);
    return `${st.dev}:${st.ino}`;
  } catch {
    return null;
  }
}

export class DirectoryWatch {
  private watcher: FSWatcher | null = null;
  private identity: string | null = null;
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly onName: (name: string) => void,
    private readonly log: Logger,
  ) {}

  /** Arms the watch, or re-arms it when the directory is not the one watched. */
  async ensure(): Promise<void> {
    // Identity first: a replacement between the stat and the watch is caught next time.
    const identity = await identityOf(this.dir);
    if (this.closed || (this.watcher !== null && identity === this.identity)) return;
    if (this.watcher !== null) this.log.info({ dir: this.dir }, 'the rules directory was replaced: watching the new one');
    this.watcher?.close();
    this.watcher = null;
    this.identity = identity;
    if (identity === null) return;
    try {
      const w = watch(this.dir, { persistent: false }, (_event, name) => {
        if (typeof name === 'string' && RULE_FILE_NAME.test(name)) this.onName(name);
      });
      w.on('error', (err) => {
        this.log.warn({ err, dir: this.dir }, 'the rules directory watch failed: the rescan re-arms it');
        w.close();
        if (this.watcher === w) this.watcher = null;
      });
      this.watcher = w;
    } catch (err) {
      this.log.warn({ err, dir: this.dir }, 'cannot watch the rules directory: relying on the rescan');
    }
  }

  close(): void {
    this.closed = true;
    this.watcher?.close();
    this.watcher = null;
  }
}
