/**
 * §3.3: the CLI sets V8's backtrack fallback before any rule regex is compiled. Node 20
 * does not fall back for `u` patterns, so this checks the order, not a match time. Alone
 * in its file so that nothing else compiles a rule regex first.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/main.js';
import { regexesCompiledBeforeFallback } from '../../src/ttp/matchers.js';
import { backtrackFallbackEnabled } from '../../src/ttp/regex/index.js';

afterEach(() => vi.restoreAllMocks());

it('enables the fallback before compiling the pack', async () => {
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  process.env.DECNET_TTP_RULES_DIR = 'off';
  process.env.DECNET_HOME = mkdtempSync(join(tmpdir(), 'ttp-v8-home-'));
  expect(backtrackFallbackEnabled()).toBe(false);
  expect(await main(['node', 'decnet', 'ttp', 'lint'])).toBe(0);
  expect(backtrackFallbackEnabled()).toBe(true);
  expect(regexesCompiledBeforeFallback()).toBe(0);
}, 120_000);
