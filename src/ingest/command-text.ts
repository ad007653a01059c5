/**
 * `commandText(row)`: the text of a command row, as #9 (ttp.md §1.3) and
 * `attacker.session.ended` both read it (CORRECTIONS #7.10, #7.13): `fields.command`,
 * else `fields.cmd` followed by a space and `fields.args` (the redis decky), else the
 * message. `fields` may be the object or its stored JSON text (SQLite hands back text).
 */

/** The parts of a log row the command text comes from. */
export interface CommandSource {
  readonly fields?: unknown;
  readonly msg?: string | null;
}

function fieldsOf(fields: unknown): Record<string, unknown> {
  if (typeof fields === 'string') {
    try {
      const parsed: unknown = JSON.parse(fields);
      return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  }
  return fields !== null && typeof fields === 'object' && !Array.isArray(fields) ? (fields as Record<string, unknown>) : {};
}

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** The command line of a row; null when it has none. */
export function commandText(row: CommandSource): string | null {
  const fields = fieldsOf(row.fields);
  const command = text(fields.command);
  if (command !== undefined) return command;
  const cmd = text(fields.cmd);
  if (cmd !== undefined) {
    const args = text(fields.args);
    return args === undefined || args === '' ? cmd : `${cmd} ${args}`;
  }
  return row.msg ?? null;
}
