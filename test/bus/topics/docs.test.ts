/**
 * The catalogue's views: docs/topics.md must equal what `decnet topics --markdown`
 * renders (regenerate it with `node bin/decnet.js topics --markdown > docs/topics.md`
 * after a build), and `decnet topics --json` has the shape of CORRECTIONS #2.4.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { catalogueJson, renderTopicsMarkdown } from '../../../src/bus/topics/docs.js';
import { TOPIC_CATALOGUE } from '../../../src/bus/topics/index.js';
import { registerTopics, renderTopicsTable } from '../../../src/cli/topics.js';

async function run(...args: string[]): Promise<string> {
  const program = new Command('decnet').exitOverride();
  registerTopics(program);
  let out = '';
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += String(chunk);
    return true;
  });
  try {
    await program.parseAsync(['topics', ...args], { from: 'user' });
  } finally {
    write.mockRestore();
  }
  return out;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('docs/topics.md', () => {
  it('is up to date with the catalogue', () => {
    const committed = readFileSync(new URL('../../../docs/topics.md', import.meta.url), 'utf8');
    expect(committed, 'docs/topics.md is stale: rebuild and run `node bin/decnet.js topics --markdown > docs/topics.md`').toBe(renderTopicsMarkdown());
  });

  it('documents every topic, grouped by family, with the naming rules and strict mode', () => {
    const md = renderTopicsMarkdown();
    for (const e of TOPIC_CATALOGUE) expect(md).toContain(`### \`${e.template}\``);
    expect(md).toContain('## Naming rules');
    expect(md).toContain('DECNET_BUS_STRICT=1');
    expect(md.indexOf('## topology.*')).toBeLessThan(md.indexOf('## ttp.*'));
  });
});

describe('decnet topics', () => {
  it('--json prints one object per topic with the documented keys', async () => {
    const parsed = JSON.parse(await run('--json')) as Array<Record<string, unknown>>;
    expect(parsed).toHaveLength(TOPIC_CATALOGUE.length);
    for (const item of parsed) {
      expect(Object.keys(item)).toEqual(['template', 'pattern', 'type', 'builder', 'payload', 'durable', 'reserved']);
      expect(typeof item.template).toBe('string');
      expect(typeof item.durable).toBe('boolean');
      expect(typeof item.reserved).toBe('boolean');
      for (const type of Object.values(item.payload as object)) expect(typeof type).toBe('string');
    }
    expect(parsed).toContainEqual(
      expect.objectContaining({ template: 'topology.{topology_id}.mutation.applied', pattern: 'topology.*.mutation.applied', type: 'applied', builder: 'topologyMutation(topologyId, MUTATION_APPLIED)', durable: false, reserved: false }),
    );
    expect(parsed).toEqual(catalogueJson());
  });

  it('prints a table with every pattern, type, builder and payload field by default', async () => {
    const table = await run();
    expect(table).toBe(renderTopicsTable(TOPIC_CATALOGUE, process.stdout.columns || 100));
    const wide = renderTopicsTable(TOPIC_CATALOGUE, 1000);
    for (const e of TOPIC_CATALOGUE) {
      const row = wide.split('\n').find((line) => line.startsWith(`${e.pattern} `) || line === e.pattern);
      expect(row, e.pattern).toBeDefined();
      expect(row).toContain(e.type);
      expect(row).toContain(e.builder);
      const fields = wide.split('\n')[wide.split('\n').indexOf(row as string) + 1] as string;
      for (const name of Object.keys(e.payload)) expect(fields).toContain(name);
    }
  });

  it('wraps payload fields to the width', () => {
    for (const line of renderTopicsTable(TOPIC_CATALOGUE, 60).split('\n')) {
      if (line.startsWith('    ')) expect(line.length).toBeLessThanOrEqual(60);
    }
  });

  it('--markdown prints docs/topics.md and is hidden from --help', async () => {
    expect(await run('--markdown')).toBe(renderTopicsMarkdown());
    const program = new Command('decnet');
    registerTopics(program);
    const help = program.commands.find((c) => c.name() === 'topics')?.helpInformation() ?? '';
    expect(help).toContain('--json');
    expect(help).not.toContain('--markdown');
  });
});
