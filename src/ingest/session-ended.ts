/**
 * `attacker.session.ended` (eventplane.md §8.6, CORRECTIONS #7.3, #7.10–#7.12): a
 * `session_recorded` row ends a session; the event carries the `command` rows of the same
 * address and decky within `[ended_at − duration_s, ended_at]` (of that `session` when the
 * rows carry one), read from `logs` in the batch transaction so a restart loses nothing,
 * and is journaled with the rows. The window, the read and the cap are correlate's
 * (src/correlate/sessions.ts), so `attacker_sessions.commands` and this payload list the
 * same commands with the same ids, `ts` and `command_text` (#9's content ids match).
 * `attacker_uuid` is the attacker's id when correlate already knows the address, else null.
 */
import { MAX_ENVELOPE_BYTES, topics } from '../bus/index.js';
import { journalAndPublish, type WriteTx } from '../db/index.js';
import { sqlitePreparedIn } from '../db/repositories/prepared.js';
import { capCommands, sessionCommands, sessionWindow } from '../correlate/sessions.js';
import type { IngestExtension } from './extension.js';

const SESSION_ENDED = topics.attacker(topics.ATTACKER_SESSION_ENDED);

/** Room left in the envelope for its other fields (bytes). */
const ENVELOPE_SLACK = 4096;

async function attackerUuid(tx: WriteTx, ip: string): Promise<string | null> {
  // SQLite: prepared, as this runs once per session_recorded row inside the batch
  const prepared = sqlitePreparedIn(tx, 'select id from attackers where ip = ?');
  const row = prepared ? (prepared.get(ip) as { id: string } | undefined) : await tx.db.selectFrom('attackers').select('id').where('ip', '=', ip).executeTakeFirst();
  return row?.id ?? null;
}

export const sessionEndedExtension: IngestExtension = {
  name: 'session-ended',
  async onBatch(tx, batch, { bus }) {
    let events = 0;
    for (const row of batch.rows) {
      if (row.eventType !== 'session_recorded' || row.attackerIp === null || row.decky === null) continue;
      const window = sessionWindow(row);
      const all = await sessionCommands(tx, row, window);
      const capped = capCommands(all);
      const service = row.service ?? '';
      const commands = capped.commands.map((c) => ({ ...c, decky: row.decky ?? '', service }));
      let truncated = capped.truncated;
      const payload = {
        session_id: window.sessionId,
        attacker_uuid: await attackerUuid(tx, row.attackerIp),
        attacker_ip: row.attackerIp,
        decky_id: row.decky,
        service,
        ended_at: window.endedAt,
        duration_s: window.durationS,
        commands,
        commands_truncated: truncated,
        command_count: all.length,
        shard_path: row.fields.shard_path ?? null,
      };
      // the extra per-command fields must not push the envelope past the bus limit
      while (commands.length > 0 && Buffer.byteLength(JSON.stringify(payload)) > MAX_ENVELOPE_BYTES - ENVELOPE_SLACK) {
        commands.pop();
        truncated = true;
      }
      payload.commands_truncated = truncated;
      await journalAndPublish(tx, bus, SESSION_ENDED, payload);
      events++;
    }
    return events;
  },
};

