/**
 * The database store under `decnet up` (ttp.md §5.2, §5.3, §8.2): a definition put through
 * `PUT /api/v1/ttp/rules/{id}` is picked up by the worker's poll — one
 * `ttp.rule.reloaded.<id>` `applied` from `database` with the PUT's content hash, shown at
 * `GET /ttp/rules/{id}` — and fires; `DELETE` falls back to the shipped rule of that id
 * (`applied` from `builtin`), or removes a rule no lower store has (`removed`, then 404).
 * The definitions use `contains` or the shipped R0014's patterns, whose proofs are cached
 * (CORRECTIONS #9.7).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, REPO } from '../support/cli.js';
import { cowrieCommand, pollFor, Stacks } from '../support/stack.js';

beforeAll(() => ensureBuilt());

const stacks = new Stacks();
afterEach(() => stacks.cleanup());

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

const OWN = 'L0002';
const OWN_TEXT = `id: ${OWN}
version: 1
name: api_marker_command
title: A command carrying the marker of the API rule test
status: stable
description: >
  A shell command that contains the marker of the API rule test.
inputs: [command]
detection:
  marker:
    command_text|contains: 'decnet-api-marker'
  condition: marker
emits:
  - {technique: T1082, tactic: TA0007, confidence: 0.7}
evidence_fields: [command_text]
tests:
  - {name: marker, input: {kind: command, command_text: echo decnet-api-marker}, expect: [T1082]}
  - {name: marker in a pipe, input: {kind: command, command_text: 'cat x | grep decnet-api-marker'}, expect: [T1082]}
  - {name: other text, input: {kind: command, command_text: echo hello}, expect: []}
  - {name: near miss, input: {kind: command, command_text: echo decnet-api}, expect: []}
`;

/** The shipped R0014 with its version bumped: an override of the builtin rule. */
const SHIPPED_R0014 = readFileSync(join(REPO, 'rules', 'ttp', 'R0014.yaml'), 'utf8');
const OVERRIDE_R0014 = SHIPPED_R0014.replace(/^version: 2$/m, 'version: 3');

describe('ttp rules through the API under decnet up', () => {
  it('PUT is applied from the database store within a poll; DELETE falls back to builtin or removes', async () => {
    expect(OVERRIDE_R0014).not.toBe(SHIPPED_R0014);
    const stack = await stacks.start();
    const reloaded = await stack.stream(`ttp.rule.reloaded.${OWN},ttp.rule.reloaded.R0014`);
    await stack.ttpReady();

    // a rule of our own, as {yaml}
    const put = await stack.request<Record<string, unknown>>('PUT', `/ttp/rules/${OWN}`, { body: { yaml: OWN_TEXT } });
    expect(put.status).toBe(201);
    expect(put.body).toMatchObject({ id: OWN, version: 1, source: 'database', content_sha256: sha256(OWN_TEXT), effective: { source: 'database', version: 1 } });
    const [own] = await reloaded.waitForCount(`ttp.rule.reloaded.${OWN}`, 1);
    expect(own?.payload).toMatchObject({ rule_id: OWN, rule_version: 1, outcome: 'applied', source: 'database', content_sha256: sha256(OWN_TEXT), previous_version: null });
    expect(await stack.get(`/ttp/rules/${OWN}`)).toMatchObject({ id: OWN, version: 1, source: 'database', content_sha256: sha256(OWN_TEXT), yaml: OWN_TEXT, last_error: null });
    // and it fires
    await stack.ingest([cowrieCommand('192.0.2.45', 'api00001', 'echo decnet-api-marker')], 'cowrie');
    const tag = await pollFor(async () => (await stack.get<{ tags: Array<Record<string, unknown>> }>(`/ttp/tags?rule_id=${OWN}`)).tags[0], `a ${OWN} tag`);
    expect(tag).toMatchObject({ rule_id: OWN, rule_version: 1, rule_source: 'database', technique_id: 'T1082', attacker_ip: '192.0.2.45' });

    // an override of a shipped rule, as application/yaml
    const override = await stack.request<Record<string, unknown>>('PUT', '/ttp/rules/R0014', { body: OVERRIDE_R0014, headers: { 'content-type': 'application/yaml' } });
    expect(override.status).toBe(201);
    expect(override.body).toMatchObject({ id: 'R0014', version: 3, source: 'database', content_sha256: sha256(OVERRIDE_R0014) });
    // the first R0014 event is the builtin's, applied when the worker started on this fresh database
    const toDatabase = (await reloaded.waitForCount('ttp.rule.reloaded.R0014', 2))[1];
    expect(toDatabase?.payload).toMatchObject({ rule_id: 'R0014', rule_version: 3, outcome: 'applied', source: 'database', content_sha256: sha256(OVERRIDE_R0014), previous_version: 2, previous_source: 'builtin' });
    expect(await stack.get('/ttp/rules/R0014')).toMatchObject({ version: 3, source: 'database', content_sha256: sha256(OVERRIDE_R0014) });

    // DELETE: the builtin definition takes over again
    const back = await stack.request('DELETE', '/ttp/rules/R0014');
    expect(back).toEqual({ status: 200, body: { id: 'R0014', removed: 'database', effective: { source: 'builtin', version: 2 } } });
    const toBuiltin = (await reloaded.waitForCount('ttp.rule.reloaded.R0014', 3))[2];
    expect(toBuiltin?.payload).toMatchObject({ rule_id: 'R0014', rule_version: 2, outcome: 'applied', source: 'builtin', content_sha256: sha256(SHIPPED_R0014), previous_version: 3, previous_source: 'database' });
    expect(await stack.get('/ttp/rules/R0014')).toMatchObject({ version: 2, source: 'builtin', content_sha256: sha256(SHIPPED_R0014) });

    // DELETE of a rule no other store has: removed, then gone
    const gone = await stack.request('DELETE', `/ttp/rules/${OWN}`);
    expect(gone).toEqual({ status: 200, body: { id: OWN, removed: 'database', effective: null } });
    const removed = (await reloaded.waitForCount(`ttp.rule.reloaded.${OWN}`, 2))[1];
    expect(removed?.payload).toMatchObject({ rule_id: OWN, deleted: true, outcome: 'removed', previous_version: 1, previous_source: 'database' });
    expect((await stack.request('GET', `/ttp/rules/${OWN}`)).status).toBe(404);
    expect((await stack.get<{ rules: Array<{ id: string }> }>(`/ttp/rules?q=${OWN}`)).rules).toEqual([]);
    expect((await stack.request('DELETE', `/ttp/rules/${OWN}`)).status).toBe(404);

    // one event per change
    expect(reloaded.events.map((e) => [e.topic, e.payload.outcome])).toEqual([
      ['ttp.rule.reloaded.R0014', 'applied'],
      [`ttp.rule.reloaded.${OWN}`, 'applied'],
      ['ttp.rule.reloaded.R0014', 'applied'],
      ['ttp.rule.reloaded.R0014', 'applied'],
      [`ttp.rule.reloaded.${OWN}`, 'removed'],
    ]);
    expect(await stack.stop()).toBe(0);
  }, 90_000);
});
