/**
 * Hot reload under `decnet up` (ttp.md §5.2, §5.3, §7.3, §13 "End to end"): a rule file in
 * DECNET_TTP_RULES_DIR is applied, edited and broken while the stack runs, with no restart.
 * Each change is one `ttp.rule.reloaded.L0001` event and shows at `GET /ttp/rules/L0001`;
 * commands ingested beside the stack are tagged by the version that runs, and a broken edit
 * (a failing in-file test, then invalid YAML) keeps the previous version firing.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../support/cli.js';
import { cowrieCommand, pollFor, Stacks, type Stack } from '../support/stack.js';

beforeAll(() => ensureBuilt());

const stacks = new Stacks();
afterEach(() => stacks.cleanup());

const RULE = 'L0001';
const TOPIC = `ttp.rule.reloaded.${RULE}`;
const ATTACKER = '192.0.2.44';

/** A stable `command` rule tagging T1082 when the command contains `selects`; its tests expect `fires` to fire and `other` not to. */
function ruleText(version: number, selects: string, fires = selects, other = 'decnet-e2e-other'): string {
  return `id: ${RULE}
version: ${version}
name: local_marker_command
title: A command carrying the marker of the end-to-end test
status: stable
description: >
  A shell command that contains the marker of the hot-reload test.
inputs: [command]
detection:
  marker:
    command_text|contains: '${selects}'
  condition: marker
emits:
  - {technique: T1082, tactic: TA0007, confidence: 0.8}
evidence_fields: [command_text]
tests:
  - {name: marker, input: {kind: command, command_text: 'echo ${fires}'}, expect: [T1082]}
  - {name: marker in a pipe, input: {kind: command, command_text: 'cat x | grep ${fires}'}, expect: [T1082]}
  - {name: other text, input: {kind: command, command_text: echo hello}, expect: []}
  - {name: other marker, input: {kind: command, command_text: 'echo ${other}'}, expect: []}
`;
}

const V1 = ruleText(1, 'decnet-e2e-alpha', 'decnet-e2e-alpha', 'decnet-e2e-beta');
const V2 = ruleText(2, 'decnet-e2e-beta', 'decnet-e2e-beta', 'decnet-e2e-alpha');
/** Valid YAML whose selection no longer matches what its tests expect: `test_failed`. */
const FAILING_TEST = ruleText(3, 'decnet-e2e-gamma', 'decnet-e2e-beta', 'decnet-e2e-alpha');
/** Not YAML: an unterminated flow sequence. */
const INVALID_YAML = `${ruleText(4, 'decnet-e2e-gamma')}references: [https://example.org\n`;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

interface Tag {
  rule_id: string;
  rule_version: number;
  rule_source: string;
  technique_id: string;
  attacker_ip: string | null;
  evidence: { command_text?: string };
}

async function tagsOfRule(stack: Stack): Promise<Tag[]> {
  return (await stack.get<{ tags: Tag[] }>(`/ttp/tags?rule_id=${RULE}&evidence=1&limit=500`)).tags;
}

/** The tag by the rule of the command `command`, once the worker has written it. */
function tagOf(stack: Stack, command: string): Promise<Tag> {
  return pollFor(async () => (await tagsOfRule(stack)).find((t) => t.evidence.command_text === command), `a ${RULE} tag of ${JSON.stringify(command)}`);
}

const codes = (problems: unknown): string[] => (problems as Array<{ code: string }>).map((p) => p.code);

describe('ttp hot reload under decnet up', () => {
  it('applies a new rule file, then an edit, and keeps the old version firing through broken edits', async () => {
    const stack = await stacks.start((home) => ({ DECNET_TTP_RULES_DIR: join(home, 'my-rules') }));
    const reloaded = await stack.stream(TOPIC);
    await stack.ttpReady();
    const file = join(stack.home, 'my-rules', `${RULE}.yaml`);

    // (a) a new file: applied, shown with its source and version, and it tags what it matches
    writeFileSync(file, V1);
    const [a] = await reloaded.waitForCount(TOPIC, 1);
    expect(a?.payload).toMatchObject({ rule_id: RULE, rule_version: 1, outcome: 'applied', source: 'filesystem', content_sha256: sha256(V1), previous_version: null, previous_source: null });
    expect(await stack.get(`/ttp/rules/${RULE}`)).toMatchObject({ id: RULE, version: 1, source: 'filesystem', content_sha256: sha256(V1), yaml: V1, last_error: null });
    await stack.ingest([cowrieCommand(ATTACKER, 'e2e00001', 'echo decnet-e2e-alpha')], 'cowrie');
    expect(await tagOf(stack, 'echo decnet-e2e-alpha')).toMatchObject({ rule_version: 1, rule_source: 'filesystem', technique_id: 'T1082', attacker_ip: ATTACKER });

    // (b) an edit with a changed match: version 2 runs, and only its match is tagged
    writeFileSync(file, V2);
    const b = (await reloaded.waitForCount(TOPIC, 2))[1];
    expect(b?.payload).toMatchObject({ rule_id: RULE, rule_version: 2, outcome: 'applied', source: 'filesystem', content_sha256: sha256(V2), previous_version: 1, previous_source: 'filesystem' });
    expect(await stack.get(`/ttp/rules/${RULE}`)).toMatchObject({ version: 2, source: 'filesystem', content_sha256: sha256(V2), last_error: null });
    // one batch of ingest: once the second row is tagged, the worker has evaluated the first
    await stack.ingest([cowrieCommand(ATTACKER, 'e2e00002', 'echo decnet-e2e-alpha again'), cowrieCommand(ATTACKER, 'e2e00002', 'echo decnet-e2e-beta')], 'cowrie');
    expect(await tagOf(stack, 'echo decnet-e2e-beta')).toMatchObject({ rule_version: 2, rule_source: 'filesystem', technique_id: 'T1082' });
    expect((await tagsOfRule(stack)).filter((t) => t.evidence.command_text === 'echo decnet-e2e-alpha again')).toEqual([]);

    // (c) a broken edit — a failing in-file test, then invalid YAML — is rejected naming version 2, which keeps running
    writeFileSync(file, FAILING_TEST);
    const c1 = (await reloaded.waitForCount(TOPIC, 3))[2];
    expect(c1?.payload).toMatchObject({ rule_id: RULE, rule_version: 3, outcome: 'rejected', source: 'filesystem', running_version: 2, running_source: 'filesystem' });
    expect(codes(c1?.payload.problems)).toContain('test_failed');
    const afterFailing = await stack.get<Record<string, unknown>>(`/ttp/rules/${RULE}`);
    expect(afterFailing).toMatchObject({ version: 2, source: 'filesystem', content_sha256: sha256(V2), yaml: V2, last_error: { source: 'filesystem' } });
    expect(codes((afterFailing.last_error as { problems: unknown }).problems)).toContain('test_failed');
    expect(afterFailing.candidates).toEqual([expect.objectContaining({ source: 'filesystem', valid: false, content_sha256: sha256(FAILING_TEST) })]);

    writeFileSync(file, INVALID_YAML);
    const c2 = (await reloaded.waitForCount(TOPIC, 4))[3];
    expect(c2?.payload).toMatchObject({ rule_id: RULE, outcome: 'rejected', source: 'filesystem', running_version: 2, running_source: 'filesystem' });
    expect(codes(c2?.payload.problems)).toContain('yaml_syntax');
    const afterInvalid = await stack.get<Record<string, unknown>>(`/ttp/rules/${RULE}`);
    expect(afterInvalid).toMatchObject({ version: 2, source: 'filesystem', content_sha256: sha256(V2), last_error: { source: 'filesystem' } });
    expect(codes((afterInvalid.last_error as { problems: unknown }).problems)).toContain('yaml_syntax');

    await stack.ingest([cowrieCommand(ATTACKER, 'e2e00003', 'echo decnet-e2e-gamma'), cowrieCommand(ATTACKER, 'e2e00003', 'echo decnet-e2e-beta once more')], 'cowrie');
    expect(await tagOf(stack, 'echo decnet-e2e-beta once more')).toMatchObject({ rule_version: 2, rule_source: 'filesystem' });
    expect((await tagsOfRule(stack)).filter((t) => t.evidence.command_text === 'echo decnet-e2e-gamma')).toEqual([]);

    // one event per change, and all of it without a restart
    expect(reloaded.events.filter((e) => e.topic === TOPIC).map((e) => e.payload.outcome)).toEqual(['applied', 'applied', 'rejected', 'rejected']);
    const { workers } = await stack.get<{ workers: Array<{ name: string; run_state: string; restarts: number }> }>('/workers');
    expect(workers.find((w) => w.name === 'ttp')).toMatchObject({ run_state: 'running', restarts: 0 });
    expect(await stack.stop()).toBe(0);
  }, 90_000);
});
