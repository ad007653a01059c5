/**
 * Work that must happen in an ingest batch's transaction, beside its rows, but belongs to
 * another concern (e.g. `attacker.session.ended`, which reads the committed window of
 * command rows). An extension runs after the batch's rows are inserted and before
 * ingest's own journal events; it may read and write through `tx` and journal events
 * with `journalAndPublish`. The tables it locks (other than `events`) are declared in
 * `locks`, so the batch takes them up front in canonical order.
 */
import type { Bus, Logger } from '../bus/index.js';
import type { LogRow, WriteTx } from '../db/index.js';

export interface StoredBatch {
  /** The source id (`file:/var/log/x`). */
  readonly source: string;
  /** The batch's stored rows with their ids, in line order (credentials already redacted). */
  readonly rows: readonly LogRow[];
}

export interface IngestExtension {
  readonly name: string;
  readonly locks?: readonly string[];
  /** Returns how many events it will publish (journaled or after the commit). */
  onBatch(tx: WriteTx, batch: StoredBatch, ctx: { readonly bus: Bus | null; readonly log: Logger }): Promise<number>;
}
