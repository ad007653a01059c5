/**
 * A rule's YAML text → its plain value plus a locator from document paths to source lines
 * (ttp.md §2, §3.1). The `yaml` package keeps every node's range; a path resolves to the
 * *key's* position for a map entry, so a missing or wrong value is reported on its key's line.
 */
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import { ProblemList, type Locator, type PathSegment } from './problems.js';

/** A definition is at most 256 KiB (§2). */
export const MAX_RULE_BYTES = 256 * 1024;

export interface RuleSource {
  /** The document as plain data (maps → objects, sequences → arrays). */
  readonly value: unknown;
  readonly locate: Locator;
}

export interface ParsedYaml {
  readonly source: RuleSource | null;
  readonly problems: ProblemList;
}

/** Parses one rule file; structural problems (syntax, several documents, not a map, size) go to the list. */
export function parseRuleYaml(text: string, file: string | null): ParsedYaml {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_RULE_BYTES) {
    const problems = new ProblemList(file);
    problems.add('too_large', [], `${Math.ceil(bytes / 1024)} KiB is over the ${MAX_RULE_BYTES / 1024} KiB limit`, 'split the rule or shorten its lists');
    return { source: null, problems };
  }
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const first = (Array.isArray(docs) ? docs[0] : undefined) as Document | undefined;
  const locate: Locator = first ? locatorFor(first, lines) : () => null;
  const problems = new ProblemList(file, locate);
  if (!Array.isArray(docs) || first === undefined) {
    problems.add('not_a_mapping', [], 'the file holds no YAML document', 'write the rule as a mapping (`id: …`, `version: …`)');
    return { source: null, problems };
  }
  if (docs.length > 1) {
    problems.add('multiple_documents', [], `the file holds ${docs.length} documents`, 'a file holds one rule — move each `---` document to its own file');
    return { source: null, problems };
  }
  const errors = [...first.errors];
  if (errors.length > 0) {
    for (const err of errors) {
      const pos = err.linePos?.[0] ?? lines.linePos(err.pos[0]);
      const msg = err.message.split('\n')[0] ?? err.message;
      problems.items.push({
        code: 'yaml_syntax',
        severity: 'error',
        file,
        line: pos?.line ?? null,
        column: pos?.col ?? null,
        rule_id: null,
        path: '',
        message: msg.replace(/ at line \d+, column \d+:?$/, ''),
        hint: err.code === 'DUPLICATE_KEY' ? 'a key may appear once per mapping — remove or rename the second' : 'fix the YAML at that position (quote values holding `: `, `#` or `{`)',
      });
    }
    return { source: null, problems };
  }
  if (!isMap(first.contents)) {
    problems.add('not_a_mapping', [], 'the document is not a mapping', 'a rule is a mapping with `id`, `version`, `detection`, `emits`, …');
    return { source: null, problems };
  }
  return { source: { value: first.toJS({ maxAliasCount: 100 }), locate }, problems };
}

function position(lines: LineCounter, offset: number): { line: number; column: number } {
  const p = lines.linePos(offset);
  return { line: p.line, column: p.col };
}

/** Walks the node tree; stops at the deepest node that exists on the path. */
function locatorFor(doc: Document, lines: LineCounter): Locator {
  return (path: readonly PathSegment[]) => {
    let node: Node | null = doc.contents as Node | null;
    let best: { line: number; column: number } | null = node?.range ? position(lines, node.range[0]) : null;
    for (const seg of path) {
      if (node === null) break;
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) break;
        const key = pair.key as Node;
        if (key.range) best = position(lines, key.range[0]);
        node = (pair.value as Node | null) ?? null;
      } else if (isSeq(node)) {
        const item = typeof seg === 'number' ? node.items[seg] : undefined;
        if (item === undefined || item === null) break;
        const n = item as Node;
        if (n.range) best = position(lines, n.range[0]);
        node = n;
      } else break;
    }
    return best;
  };
}
