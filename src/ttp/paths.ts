/**
 * Where the shipped files live: the package root (found from this module, so it works from
 * `src/` under vitest and from `dist/src/` when built), the rule pack and the ATT&CK data.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | null = null;

export function packageRoot(): string {
  if (root !== null) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'decnet') return (root = dir);
      } catch {
        // not ours; keep walking
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the decnet package root');
    dir = up;
  }
}

/** The shipped rule pack (`rules/ttp/`). */
export function builtinPackDir(): string {
  return join(packageRoot(), 'rules', 'ttp');
}

/** The pack's committed regex verdicts. */
export function packVerdictsFile(): string {
  return join(builtinPackDir(), 'regex-verdicts.json');
}

/** The shipped ATT&CK data (`data/attack/`). */
export function attackDataDir(): string {
  return join(packageRoot(), 'data', 'attack');
}
