/**
 * `ttp_tags` (ttp.md §6.1, §1.6, §8): the tags the ttp worker writes and the API reads.
 *
 * Inserts are the worker's hot path: one `INSERT … ON CONFLICT (id) DO NOTHING RETURNING
 * id` per chunk of 200, after the table's advisory lock (so `seq` becomes visible in commit
 * order, "Across issues" 7), prepared on SQLite. The ids returned are exactly the new
 * tags: the only ones the worker's events may name. UUID columns are stored lowercase
 * on both dialects (PostgreSQL's `uuid` does so itself).
 */
import { sql, type Insertable, type Selectable } from 'kysely';
import { fromDbInt, type DialectName } from '../dialect.js';
import type { TtpTagsTable } from '../ttp-tables.js';
import { isoFromDb, isoFromDbOrNull, nowIso } from '../time.js';
import { affected, inWrite, reader, type RepoContext } from './context.js';
import { isUuid } from './attackers.js';
import { chunked, jsonColumn, sqlitePrepared } from './prepared.js';
import { whereTags } from './ttp-tag-filter.js';
import type { NewTtpTag, TechniqueAggregate, TtpTagRow, TtpTagsRepo } from './ttp-types.js';

const INSERT_CHUNK = 200;
/** Input ids per `linkSession` statement. */
const LINK_CHUNK = 500;

const TAG_COLUMNS = [
  'id',
  'rule_id',
  'rule_version',
  'rule_source',
  'technique_id',
  'sub_technique_id',
  'tactic_id',
  'confidence',
  'input_kind',
  'input_id',
  'group_key',
  'attacker_ip',
  'attacker_uuid',
  'identity_uuid',
  'session_id',
  'decky',
  'service',
  'evidence',
  'attack_version',
  'observed_at',
  'created_at',
] as const;

type TagInsert = Insertable<TtpTagsTable>;

const insertTexts = new Map<number, string>();

/** The SQLite statement inserting `rows` tags (one text per chunk size, so the prepared cache stays small). */
function insertText(rows: number): string {
  let text = insertTexts.get(rows);
  if (text === undefined) {
    const row = `(${TAG_COLUMNS.map(() => '?').join(', ')})`;
    text = `insert into ttp_tags (${TAG_COLUMNS.join(', ')}) values ${Array.from({ length: rows }, () => row).join(', ')} on conflict (id) do nothing returning id`;
    insertTexts.set(rows, text);
  }
  return text;
}

function lowerOrNull(uuid: string | null): string | null {
  return uuid === null ? null : uuid.toLowerCase();
}

function toInsert(t: NewTtpTag, createdAt: string): TagInsert {
  return {
    id: t.id.toLowerCase(),
    rule_id: t.rule_id,
    rule_version: t.rule_version,
    rule_source: t.rule_source,
    technique_id: t.technique_id,
    sub_technique_id: t.sub_technique_id,
    tactic_id: t.tactic_id,
    confidence: Math.round(t.confidence * 10_000) / 10_000,
    input_kind: t.input_kind,
    input_id: t.input_id,
    group_key: JSON.stringify(t.group_key),
    attacker_ip: t.attacker_ip,
    attacker_uuid: lowerOrNull(t.attacker_uuid),
    identity_uuid: lowerOrNull(t.identity_uuid),
    session_id: t.session_id,
    decky: t.decky,
    service: t.service,
    evidence: JSON.stringify(t.evidence),
    attack_version: t.attack_version,
    observed_at: t.observed_at,
    created_at: createdAt,
  };
}

function toTag(r: Selectable<TtpTagsTable>): TtpTagRow {
  return {
    id: r.id,
    seq: fromDbInt(r.seq),
    rule_id: r.rule_id,
    rule_version: r.rule_version,
    rule_source: r.rule_source,
    technique_id: r.technique_id,
    sub_technique_id: r.sub_technique_id,
    tactic_id: r.tactic_id,
    confidence: Number(r.confidence),
    input_kind: r.input_kind,
    input_id: r.input_id,
    group_key: jsonColumn<unknown[]>(r.group_key, []),
    attacker_ip: r.attacker_ip,
    attacker_uuid: r.attacker_uuid,
    identity_uuid: r.identity_uuid,
    session_id: r.session_id,
    decky: r.decky,
    service: r.service,
    evidence: jsonColumn<Record<string, unknown>>(r.evidence, {}),
    attack_version: r.attack_version,
    observed_at: isoFromDb(r.observed_at),
    created_at: isoFromDb(r.created_at),
  };
}

/** The distinct values of a column as a JSON array (unordered; nulls included). */
function distinctList(dialect: DialectName, column: 'tactic_id' | 'rule_id' | 'attacker_ip' | 'attacker_uuid') {
  const ref = sql.ref(`ttp_tags.${column}`);
  return dialect === 'postgres' ? sql<unknown>`json_agg(distinct ${ref})` : sql<unknown>`json_group_array(distinct ${ref})`;
}

function sortedStrings(value: unknown): string[] {
  return jsonColumn<unknown[]>(value, [])
    .filter((v): v is string => typeof v === 'string')
    .sort();
}

/** The earliest or latest `observed_at`: null over no rows, so `string` only in a group. */
function observed<T extends string | null>(fn: 'min' | 'max') {
  return sql<T>`${sql.raw(fn)}(ttp_tags.observed_at)`;
}

const COUNT = sql<number | string>`count(*)`;

/** The aggregate columns of a TechniqueAggregate, for a query grouped by technique. */
function aggregateColumns(dialect: DialectName) {
  return [
    distinctList(dialect, 'tactic_id').as('tactic_ids'),
    distinctList(dialect, 'rule_id').as('rule_ids'),
    COUNT.as('tag_count'),
    // an attacker is its uuid once linked, its address until then
    sql<number | string>`count(distinct coalesce(ttp_tags.attacker_ip, cast(ttp_tags.attacker_uuid as text)))`.as('attacker_count'),
    observed<string>('min').as('first_seen'),
    observed<string>('max').as('last_seen'),
    sql<number>`max(ttp_tags.confidence)`.as('max_confidence'),
  ] as const;
}

/** Parent rows (no sub-technique) before their sub-techniques on both dialects (their NULL orders differ). */
const SUB_TECHNIQUE_LAST = sql`case when ttp_tags.sub_technique_id is null then 0 else 1 end`;

interface AggregateRow {
  technique_id: string;
  sub_technique_id: string | null;
  tactic_ids: unknown;
  rule_ids: unknown;
  tag_count: number | string;
  attacker_count: number | string;
  first_seen: string;
  last_seen: string;
  max_confidence: number;
}

function toAggregate(r: AggregateRow): TechniqueAggregate {
  return {
    technique_id: r.technique_id,
    sub_technique_id: r.sub_technique_id,
    tactic_ids: sortedStrings(r.tactic_ids),
    tag_count: fromDbInt(r.tag_count),
    attacker_count: fromDbInt(r.attacker_count),
    first_seen: isoFromDb(r.first_seen),
    last_seen: isoFromDb(r.last_seen),
    max_confidence: Number(r.max_confidence),
    rule_ids: sortedStrings(r.rule_ids),
  };
}

export function createTtpTagsRepo(ctx: RepoContext): TtpTagsRepo {
  const pg = ctx.dialect === 'postgres';

  return {
    async insertMany(tx, tags) {
      await tx.lock('ttp_tags');
      if (tags.length === 0) return [];
      const createdAt = nowIso(tx.clock);
      const inserted = new Set<string>();
      for (const part of chunked(tags, INSERT_CHUNK)) {
        const rows = part.map((t) => toInsert(t, createdAt));
        const prepared = sqlitePrepared(ctx, tx, insertText(rows.length));
        const returned = prepared
          ? (prepared.all(...rows.flatMap((r) => TAG_COLUMNS.map((c) => r[c]))) as { id: string }[])
          : await tx.db
              .insertInto('ttp_tags')
              .values(rows)
              .onConflict((oc) => oc.column('id').doNothing())
              .returning('id')
              .execute();
        for (const r of returned) inserted.add(r.id);
      }
      // RETURNING has no defined order: report the new ids in input order, each once
      const fresh: string[] = [];
      for (const t of tags) {
        const id = t.id.toLowerCase();
        if (inserted.delete(id)) fresh.push(id);
      }
      return fresh;
    },

    async linkAttacker(ip, attackerUuid, tx) {
      // SQLite would store anything; PostgreSQL's uuid column refuses it with a vaguer message
      if (!isUuid(attackerUuid)) throw new RangeError(`linkAttacker: attacker uuid must be a UUID, got ${JSON.stringify(attackerUuid)}`);
      return inWrite(ctx, tx, async (w) =>
        affected(await w.db.updateTable('ttp_tags').set({ attacker_uuid: attackerUuid.toLowerCase() }).where('attacker_ip', '=', ip).where('attacker_uuid', 'is', null).executeTakeFirst()),
      );
    },

    async unlinkedIps(limit, tx) {
      const rows = await reader(ctx, tx).selectFrom('ttp_tags').select('attacker_ip').distinct().where('attacker_uuid', 'is', null).where('attacker_ip', 'is not', null).orderBy('attacker_ip').limit(limit).execute();
      return rows.flatMap((r) => (r.attacker_ip === null ? [] : [r.attacker_ip]));
    },

    async linkSession(tx, sessionId, inputIds) {
      let n = 0;
      for (const part of chunked(inputIds, LINK_CHUNK)) {
        n += affected(await tx.db.updateTable('ttp_tags').set({ session_id: sessionId }).where('input_id', 'in', part).where('session_id', 'is', null).executeTakeFirst());
      }
      return n;
    },

    async get(id, tx) {
      if (!isUuid(id)) return undefined;
      const row = await reader(ctx, tx).selectFrom('ttp_tags').selectAll().where('id', '=', id.toLowerCase()).executeTakeFirst();
      return row === undefined ? undefined : toTag(row);
    },

    async list(filter, page) {
      const filtered = () => whereTags(reader(ctx).selectFrom('ttp_tags'), filter);
      const [rows, total] = await Promise.all([
        filtered().selectAll().orderBy('observed_at', 'desc').orderBy('seq', 'desc').limit(page.limit).offset(page.offset).execute(),
        filtered().select(COUNT.as('n')).executeTakeFirstOrThrow(),
      ]);
      return { tags: rows.map(toTag), total: fromDbInt(total.n) };
    },

    async techniques(filter) {
      const rows = await whereTags(reader(ctx).selectFrom('ttp_tags'), filter)
        .select(['ttp_tags.technique_id', 'ttp_tags.sub_technique_id', ...aggregateColumns(ctx.dialect)])
        .groupBy(['ttp_tags.technique_id', 'ttp_tags.sub_technique_id'])
        .orderBy('ttp_tags.technique_id')
        .orderBy(SUB_TECHNIQUE_LAST)
        .orderBy('ttp_tags.sub_technique_id')
        .execute();
      return rows.map(toAggregate);
    },

    async techniquesForAttackers(attackers) {
      const byId = new Map<string, TechniqueAggregate[]>();
      const page: (typeof attackers)[number][] = [];
      for (const a of attackers) {
        if (byId.has(a.id)) continue; // a repeated attacker would count its tags twice
        byId.set(a.id, []);
        page.push(a);
      }
      if (page.length === 0) return byId;
      // the page as a VALUES table (page_index, uuid, address) joined to its tags: linked ones
      // by uuid, unlinked ones by address, so one grouped query answers for every attacker
      const values = page.map((a, i) => {
        const uuid = isUuid(a.id) ? a.id.toLowerCase() : null;
        return sql`(${i}, ${pg ? sql`cast(${uuid} as uuid)` : uuid}, ${a.ip})`;
      });
      const pageTable = sql<{ page_index: number | string; uuid: string | null; ip: string }>`(select column1 as page_index, column2 as uuid, column3 as ip from (values ${sql.join(values)}) as v)`.as('page');
      const rows = await reader(ctx)
        .selectFrom(pageTable)
        .innerJoin('ttp_tags', (join) =>
          join.on((eb) => eb.or([eb('ttp_tags.attacker_uuid', '=', eb.ref('page.uuid')), eb.and([eb('ttp_tags.attacker_uuid', 'is', null), eb('ttp_tags.attacker_ip', '=', eb.ref('page.ip'))])])),
        )
        .select(['page.page_index', 'ttp_tags.technique_id', 'ttp_tags.sub_technique_id', ...aggregateColumns(ctx.dialect)])
        .groupBy(['page.page_index', 'ttp_tags.technique_id', 'ttp_tags.sub_technique_id'])
        .orderBy('ttp_tags.technique_id')
        .orderBy(SUB_TECHNIQUE_LAST)
        .orderBy('ttp_tags.sub_technique_id')
        .execute();
      for (const row of rows) {
        const attacker = page[Number(row.page_index)];
        if (attacker) byId.get(attacker.id)?.push(toAggregate(row));
      }
      return byId;
    },

    async summary(filter) {
      const row = await whereTags(reader(ctx).selectFrom('ttp_tags'), filter)
        .select([COUNT.as('tag_count'), observed<string | null>('min').as('first_seen'), observed<string | null>('max').as('last_seen'), distinctList(ctx.dialect, 'attacker_ip').as('attacker_ips'), distinctList(ctx.dialect, 'attacker_uuid').as('attacker_uuids')])
        .executeTakeFirstOrThrow();
      return {
        tag_count: fromDbInt(row.tag_count),
        first_seen: isoFromDbOrNull(row.first_seen),
        last_seen: isoFromDbOrNull(row.last_seen),
        attacker_ips: sortedStrings(row.attacker_ips),
        attacker_uuids: sortedStrings(row.attacker_uuids),
      };
    },

    async countByRule() {
      const rows = await reader(ctx).selectFrom('ttp_tags').select(['rule_id', COUNT.as('n')]).groupBy('rule_id').execute();
      return new Map(rows.map((r) => [r.rule_id, fromDbInt(r.n)]));
    },

    async pruneObservedBefore(iso) {
      const before = isoFromDb(iso);
      return ctx.write(async (tx) => affected(await tx.db.deleteFrom('ttp_tags').where('observed_at', '<', before).executeTakeFirst()));
    },
  };
}
