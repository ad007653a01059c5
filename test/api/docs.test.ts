import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderApiMarkdown } from '../../src/api/index.js';
import { REPO } from '../support/cli.js';

describe('docs/api.md', () => {
  it('matches the routes (regenerate with `node bin/decnet.js api --markdown > docs/api.md`)', () => {
    expect(readFileSync(join(REPO, 'docs', 'api.md'), 'utf8')).toBe(renderApiMarkdown());
  });
});
