/**
 * ATT&CK tagging (ttp.md §6): `ttp_tags`, `ttp_rules`, `ttp_rule_states`, `ttp_rule_catalog`.
 *
 * `ttp_tags.seq` is the cursor of later readers, so it must not restart after pruning:
 * on SQLite it is the AUTOINCREMENT rowid and `id` a unique column (the `ON CONFLICT (id)`
 * target); on PostgreSQL `id` is the primary key and `seq` a unique bigserial, written
 * under the table's advisory lock so seq order is commit order. Tags are facts: no
 * foreign key reaches the rows they were derived from, which are pruned on their own.
 */
import { sql } from 'kysely';
import type { DecnetMigration } from './migration.js';

export const ttpMigration: DecnetMigration = {
  name: '20261225_000001_ttp',
  async up(db, dialect) {
    const pg = dialect === 'postgres';
    const time = pg ? 'timestamptz' : 'text';
    const json = pg ? 'jsonb' : 'text';
    const uuid = pg ? 'uuid' : 'text';
    const real = pg ? 'double precision' : 'real';
    let tags = db.schema.createTable('ttp_tags');
    tags = pg
      ? tags.addColumn('id', uuid, (c) => c.primaryKey()).addColumn('seq', 'bigserial', (c) => c.notNull().unique())
      : tags.addColumn('seq', 'integer', (c) => c.primaryKey().autoIncrement()).addColumn('id', 'text', (c) => c.notNull().unique());
    await tags
      .addColumn('rule_id', 'text', (c) => c.notNull())
      .addColumn('rule_version', 'integer', (c) => c.notNull())
      .addColumn('rule_source', 'text', (c) => c.notNull())
      .addColumn('technique_id', 'text', (c) => c.notNull())
      .addColumn('sub_technique_id', 'text')
      .addColumn('tactic_id', 'text', (c) => c.notNull())
      .addColumn('confidence', real, (c) => c.notNull().check(sql`confidence >= 0.3 and confidence <= 1`))
      .addColumn('input_kind', 'text', (c) => c.notNull())
      .addColumn('input_id', 'text', (c) => c.notNull())
      .addColumn('group_key', json, (c) => c.notNull())
      .addColumn('attacker_ip', 'text')
      .addColumn('attacker_uuid', uuid)
      .addColumn('identity_uuid', uuid)
      .addColumn('session_id', 'text')
      .addColumn('decky', 'text')
      .addColumn('service', 'text')
      .addColumn('evidence', json, (c) => c.notNull())
      .addColumn('attack_version', 'text', (c) => c.notNull())
      .addColumn('observed_at', time, (c) => c.notNull())
      .addColumn('created_at', time, (c) => c.notNull())
      .addCheckConstraint('ttp_tags_subject', sql`attacker_ip is not null or attacker_uuid is not null or identity_uuid is not null`)
      .execute();
    const index = (name: string, columns: string[]) => db.schema.createIndex(`ttp_tags_${name}`).on('ttp_tags').columns(columns).execute();
    await index('attacker_technique', ['attacker_uuid', 'technique_id']);
    await index('ip_technique', ['attacker_ip', 'technique_id']);
    await index('session', ['session_id']);
    await index('identity', ['identity_uuid']);
    await index('technique_observed', ['technique_id', 'observed_at']);
    await index('rule', ['rule_id']);
    await index('input', ['input_id']);
    await index('observed', ['observed_at']);

    await db.schema
      .createTable('ttp_rules')
      .addColumn('rule_id', 'text', (c) => c.primaryKey())
      .addColumn('yaml', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('content_sha256', 'text', (c) => c.notNull())
      .addColumn('created_at', time, (c) => c.notNull())
      .addColumn('updated_at', time, (c) => c.notNull())
      .addColumn('updated_by', 'text')
      .execute();

    await db.schema
      .createTable('ttp_rule_states')
      .addColumn('rule_id', 'text', (c) => c.primaryKey())
      .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('enabled', 'disabled', 'clipped')`))
      .addColumn('confidence_max', real)
      .addColumn('expires_at', time)
      .addColumn('reason', 'text', (c) => c.check(sql`reason is null or length(reason) <= 512`))
      .addColumn('set_by', 'text', (c) => c.notNull())
      .addColumn('set_at', time, (c) => c.notNull())
      .execute();

    await db.schema
      .createTable('ttp_rule_catalog')
      .addColumn('rule_id', 'text', (c) => c.primaryKey())
      .addColumn('source', 'text')
      .addColumn('version', 'integer')
      .addColumn('content_sha256', 'text')
      .addColumn('yaml', 'text')
      .addColumn('name', 'text')
      .addColumn('title', 'text')
      .addColumn('status', 'text')
      .addColumn('inputs', json, (c) => c.notNull())
      .addColumn('emits', json, (c) => c.notNull())
      .addColumn('candidates', json, (c) => c.notNull())
      .addColumn('last_error', json)
      .addColumn('loaded_at', time)
      .addColumn('instance', 'text', (c) => c.notNull())
      .addColumn('updated_at', time, (c) => c.notNull())
      .execute();
  },
};
