/**
 * `decnet topics`: the topic catalogue, as a table (default), as JSON (`--json`, one
 * object per topic: template, pattern, type, builder, payload, durable, reserved) or as
 * the markdown of docs/topics.md (`--markdown`, hidden: it exists to regenerate the doc).
 */
import { Option, type Command } from 'commander';
import { TOPIC_CATALOGUE } from '../bus/topics/catalogue.js';
import { catalogueJson, renderTopicsMarkdown } from '../bus/topics/docs.js';
import type { TopicEntry } from '../bus/topics/entry.js';

const DEFAULT_WIDTH = 100; // columns, when stdout is not a terminal
const PAYLOAD_INDENT = '    ';

/** Greedy wrap of comma-separated items into lines of at most `width` columns. */
function wrap(items: readonly string[], width: number): string[] {
  const lines: string[] = [];
  let line = '';
  items.forEach((item, i) => {
    const piece = i < items.length - 1 ? `${item},` : item;
    if (line && line.length + 1 + piece.length > width) {
      lines.push(line);
      line = piece;
    } else {
      line = line ? `${line} ${piece}` : piece;
    }
  });
  lines.push(line);
  return lines;
}

/**
 * The catalogue as an aligned table (pattern, type, builder, flags), each row followed by
 * its payload fields, indented and wrapped to `width` columns.
 */
export function renderTopicsTable(entries: readonly TopicEntry[] = TOPIC_CATALOGUE, width = DEFAULT_WIDTH): string {
  const head = ['PATTERN', 'TYPE', 'BUILDER', 'FLAGS'];
  const rows = entries.map((e) => [e.pattern, e.type, e.builder, [e.durable ? 'durable' : '', e.reserved ? 'reserved' : ''].filter(Boolean).join(',')]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cols: readonly string[]): string => cols.map((col, i) => col.padEnd(widths[i] as number)).join('  ').trimEnd();
  const out = [line(head)];
  entries.forEach((e, i) => {
    out.push(line(rows[i] as string[]));
    const fields = Object.keys(e.payload);
    const items = fields.length === 0 ? ['(any object)'] : fields;
    for (const more of wrap(items, Math.max(20, width - PAYLOAD_INDENT.length))) out.push(`${PAYLOAD_INDENT}${more}`);
  });
  return `${out.join('\n')}\n`;
}

export function registerTopics(program: Command): void {
  program
    .command('topics')
    .description('print the topic catalogue: patterns, types, builders and payload fields')
    .option('--json', 'print a JSON array, one object per topic')
    .addOption(new Option('--markdown', 'print docs/topics.md').hideHelp())
    .action((opts: { json?: boolean; markdown?: boolean }) => {
      if (opts.json) process.stdout.write(`${JSON.stringify(catalogueJson(), null, 2)}\n`);
      else if (opts.markdown) process.stdout.write(renderTopicsMarkdown());
      else process.stdout.write(renderTopicsTable(TOPIC_CATALOGUE, process.stdout.columns || DEFAULT_WIDTH));
    });
}
