/**
 * The RFC 5424 parser: the RFC's own examples, a tricky-line corpus, a malformed corpus
 * with its reasons, format → parse round trips, and a fuzz pass (never a throw).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatRfc5424, parseRfc5424, type SyslogMessage } from '../../src/ingest/index.js';

function ok(line: string): SyslogMessage {
  const r = parseRfc5424(line);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(line)} to parse, got ${r.reason} at ${r.position}`);
  return r.message;
}

describe('the RFC 5424 examples (§6.5)', () => {
  it('example 1: no structured data, a BOM before MSG', () => {
    const m = ok("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \ufeff'su root' failed for lonvick on /dev/pts/8");
    expect(m).toEqual({
      pri: 34,
      version: 1,
      timestamp: '2003-10-11T22:14:15.003Z',
      hostname: 'mymachine.example.com',
      appName: 'su',
      procId: null,
      msgId: 'ID47',
      sd: [],
      msg: "'su root' failed for lonvick on /dev/pts/8",
      bom: true,
    });
  });

  it('example 2: an offset and microseconds, NIL MSGID and SD', () => {
    const m = ok("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.");
    expect(m).toMatchObject({ pri: 165, timestamp: '2003-08-24T05:14:15.000003-07:00', hostname: '192.0.2.1', appName: 'myproc', procId: '8710', msgId: null, sd: [], msg: "%% It's time to make the do-nuts.", bom: false });
  });

  it('example 3: one SD element, then MSG', () => {
    const m = ok('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"] \ufeffAn application event log entry...');
    expect(m.sd).toEqual([
      {
        id: 'exampleSDID@32473',
        params: [
          { name: 'iut', value: '3' },
          { name: 'eventSource', value: 'Application' },
          { name: 'eventID', value: '1011' },
        ],
      },
    ]);
    expect(m.msg).toBe('An application event log entry...');
    expect(m.bom).toBe(true);
  });

  it('example 4: two SD elements and no MSG', () => {
    const m = ok('<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"]');
    expect(m.sd.map((e) => e.id)).toEqual(['exampleSDID@32473', 'examplePriority@32473']);
    expect(m.sd[1]?.params).toEqual([{ name: 'class', value: 'high' }]);
    expect(m.msg).toBeNull();
  });
});

describe('tricky lines', () => {
  const sd = (line: string): Array<[string, string]> => ok(line).sd.flatMap((e) => e.params.map((p) => [p.name, p.value] as [string, string]));

  it.each([
    ['escaped quote', String.raw`<13>1 - h a - m [x@1 k="say \"hi\""]`, [['k', 'say "hi"']]],
    ['escaped backslash', String.raw`<13>1 - h a - m [x@1 k="C:\\temp"]`, [['k', 'C:\\temp']]],
    ['escaped ] inside a value', String.raw`<13>1 - h a - m [x@1 k="a\]b"]`, [['k', 'a]b']]],
    ['an unescaped ] inside a value does not end the element', '<13>1 - h a - m [x@1 k="a]b" j="c"]', [['k', 'a]b'], ['j', 'c']]],
    ['a backslash before anything else is kept', String.raw`<13>1 - h a - m [x@1 k="\n\x"]`, [['k', String.raw`\n\x`]]],
    ['a trailing escaped backslash before the quote', String.raw`<13>1 - h a - m [x@1 k="end\\"]`, [['k', 'end\\']]],
    ['an empty value', '<13>1 - h a - m [x@1 k=""]', [['k', '']]],
    ['= and spaces inside a value', '<13>1 - h a - m [x@1 k="a=b c"]', [['k', 'a=b c']]],
    ['UTF-8 in a value', '<13>1 - h a - m [x@1 k="café ✓ 日本"]', [['k', 'café ✓ 日本']]],
    ['a repeated parameter name keeps both', '<13>1 - h a - m [x@1 k="1" k="2"]', [['k', '1'], ['k', '2']]],
    ['an element without parameters', '<13>1 - h a - m [x@1]', []],
  ] as Array<[string, string, Array<[string, string]>]>)('%s', (_what, line, params) => {
    expect(sd(line)).toEqual(params);
  });

  it('every header field NIL', () => {
    expect(ok('<0>1 - - - - - -')).toEqual({ pri: 0, version: 1, timestamp: null, hostname: null, appName: null, procId: null, msgId: null, sd: [], msg: null, bom: false });
  });

  it('the largest PRI and the longest header fields', () => {
    const line = `<191>1 2024-02-29T23:59:59.999999+14:00 ${'h'.repeat(255)} ${'a'.repeat(48)} ${'p'.repeat(128)} ${'m'.repeat(32)} -`;
    expect(ok(line)).toMatchObject({ pri: 191, timestamp: '2024-02-29T23:59:59.999999+14:00', hostname: 'h'.repeat(255), appName: 'a'.repeat(48), procId: 'p'.repeat(128), msgId: 'm'.repeat(32) });
  });

  it.each(['2026-05-01T12:00:00Z', '2026-05-01T12:00:00.1Z', '2026-05-01T12:00:00.123456Z', '2026-05-01T12:00:00-00:00', '2026-05-01T12:00:00.5+05:30'])('timestamp %s', (ts) => {
    expect(ok(`<13>1 ${ts} h a - m -`).timestamp).toBe(ts);
  });

  it('an empty MSG after a space, and a MSG that is only a BOM', () => {
    expect(ok('<13>1 - h a - m - ').msg).toBe('');
    expect(ok('<13>1 - h a - m - \ufeff')).toMatchObject({ msg: '', bom: true });
  });

  it('MSG keeps spaces, brackets and quotes as they are', () => {
    expect(ok('<13>1 - h a - m [x@1 k="v"]  [not sd] "q" ').msg).toBe(' [not sd] "q" ');
  });
});

describe('malformed lines', () => {
  const long = `<13>1 - h a - m - ${'x'.repeat(70_000)}`;
  const cases: Array<[string, string]> = [
    ['', 'empty'],
    ['hello world', 'bad_pri'],
    ['<>1 - - - - - -', 'bad_pri'],
    ['<192>1 - - - - - -', 'bad_pri'],
    ['<1a>1 - - - - - -', 'bad_pri'],
    ['<1234>1 - - - - - -', 'bad_pri'],
    ['<13 1 - - - - - -', 'bad_pri'],
    ['<13>2 - - - - - -', 'bad_version'],
    ['<13>10 - - - - - -', 'bad_version'],
    ['<13>1- - - - - -', 'bad_version'],
    ['<13>1 2026-13-01T00:00:00Z h a - m -', 'bad_timestamp'],
    ['<13>1 2026-02-30T00:00:00Z h a - m -', 'bad_timestamp'],
    ['<13>1 2025-02-29T00:00:00Z h a - m -', 'bad_timestamp'],
    ['<13>1 2026-05-01T24:00:00Z h a - m -', 'bad_timestamp'],
    ['<13>1 2026-05-01T12:00:60Z h a - m -', 'bad_timestamp'],
    ['<13>1 2026-05-01T12:00:00.1234567Z h a - m -', 'bad_timestamp'],
    ['<13>1 2026-05-01T12:00:00. h a - m -', 'bad_timestamp'],
    ['<13>1 2026-05-01T12:00:00 h a - m -', 'bad_timestamp'],
    ['<13>1 2026-05-01t12:00:00Z h a - m -', 'bad_timestamp'],
    ['<13>1 2026-05-01T12:00:00z h a - m -', 'bad_timestamp'],
    ['<13>1 2026-05-01T12:00:00+2400 h a - m -', 'bad_timestamp'],
    ['<13>1 2026-05-01T12:00:00+24:00 h a - m -', 'bad_timestamp'],
    ['<13>1 20x6-05-01T12:00:00Z h a - m -', 'bad_timestamp'],
    ['<13>1 -', 'bad_header'],
    ['<13>1 - host  app - m -', 'bad_header'],
    [`<13>1 - ${'h'.repeat(256)} a - m -`, 'bad_header'],
    [`<13>1 - h ${'a'.repeat(49)} - m -`, 'bad_header'],
    [`<13>1 - h a ${'p'.repeat(129)} m -`, 'bad_header'],
    [`<13>1 - h a - ${'m'.repeat(33)} -`, 'bad_header'],
    ['<13>1 - hé a - m -', 'bad_header'],
    ['<13>1 - h\ta a - m -', 'bad_header'],
    ['<13>1 - h a - m', 'bad_sd'],
    ['<13>1 - h a - m [x@1', 'bad_sd'],
    ['<13>1 - h a - m [x@1 k="v"', 'bad_sd'],
    ['<13>1 - h a - m [x@1 k=v]', 'bad_sd'],
    ['<13>1 - h a - m [x@1 k="v]', 'bad_sd'],
    ['<13>1 - h a - m [x@1 k="v\\"]', 'bad_sd'],
    ['<13>1 - h a - m [x@1  k="v"]', 'bad_sd'],
    ['<13>1 - h a - m [] msg', 'bad_sd'],
    [`<13>1 - h a - m [${'i'.repeat(33)}]`, 'bad_sd'],
    [`<13>1 - h a - m [x@1 ${'n'.repeat(33)}="v"]`, 'bad_sd'],
    ['<13>1 - h a - m -x', 'bad_sd'],
    ['<13>1 - h a - m [x@1]x', 'bad_sd'],
    ['<13>1 - h a - m msg without sd', 'bad_sd'],
    ['<13>1 - h a - m [a@1 x="1"][a@1 y="2"]', 'duplicate_sd_id'],
    [long, 'too_long'],
  ];

  it.each(cases)('%j → %s', (line, reason) => {
    const r = parseRfc5424(line);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.reason).toBe(reason);
      expect(r.position).toBeGreaterThanOrEqual(0);
      expect(r.position).toBeLessThanOrEqual(Math.max(line.length, 65_536));
    }
  });
});

// --- properties ---------------------------------------------------------------------------

const printable = (min: number, max: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.integer({ min: 33, max: 126 }).map((c) => String.fromCharCode(c)), minLength: min, maxLength: max }).filter((s) => s !== '-');
const sdName = fc.string({ unit: fc.integer({ min: 33, max: 126 }).map((c) => String.fromCharCode(c)).filter((c) => c !== '=' && c !== ']' && c !== '"'), minLength: 1, maxLength: 32 });
const nullable = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | null> => fc.option(a, { nil: null });
const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

const arbTimestamp = fc
  .record({
    ms: fc.integer({ min: Date.UTC(1970, 0, 1), max: Date.UTC(9999, 11, 31) }),
    digits: fc.integer({ min: 0, max: 6 }),
    fraction: fc.integer({ min: 0, max: 999_999 }),
    offset: fc.oneof(fc.constant('Z'), fc.tuple(fc.constantFrom('+', '-'), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([s, h, m]) => `${s}${pad(h)}:${pad(m)}`)),
  })
  .map(({ ms, digits, fraction, offset }) => {
    const base = new Date(ms).toISOString().slice(0, 19);
    return `${base}${digits === 0 ? '' : `.${String(fraction).padStart(6, '0').slice(0, digits)}`}${offset}`;
  });

const arbElements = fc.uniqueArray(
  fc.record({ id: sdName, params: fc.array(fc.record({ name: sdName, value: fc.string({ unit: 'binary', maxLength: 40 }) }), { maxLength: 4 }) }),
  { selector: (e) => e.id, maxLength: 3 },
);

const arbMessage: fc.Arbitrary<SyslogMessage> = fc
  .record({
    pri: fc.integer({ min: 0, max: 191 }),
    timestamp: nullable(arbTimestamp),
    hostname: nullable(printable(1, 255)),
    appName: nullable(printable(1, 48)),
    procId: nullable(printable(1, 128)),
    msgId: nullable(printable(1, 32)),
    sd: arbElements,
    msg: nullable(fc.string({ unit: 'binary', maxLength: 80 }).filter((s) => !s.startsWith('\ufeff'))),
    bom: fc.boolean(),
  })
  .map((m) => ({ ...m, version: 1, bom: m.msg !== null && m.bom }));

describe('properties', () => {
  it('format → parse is the identity', () => {
    fc.assert(
      fc.property(arbMessage, (m) => {
        const r = parseRfc5424(formatRfc5424(m), Number.POSITIVE_INFINITY);
        expect(r).toEqual({ ok: true, message: m });
      }),
      { numRuns: 2000 },
    );
  });

  it('parse → format → parse is stable for any line that parses', () => {
    fc.assert(
      fc.property(arbMessage, fc.nat(), fc.string({ unit: 'binary', maxLength: 3 }), (m, at, insert) => {
        const line = formatRfc5424(m);
        const i = at % (line.length + 1);
        const mutated = line.slice(0, i) + insert + line.slice(i);
        const first = parseRfc5424(mutated, Number.POSITIVE_INFINITY);
        if (!first.ok) return;
        expect(parseRfc5424(formatRfc5424(first.message), Number.POSITIVE_INFINITY)).toEqual(first);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('fuzz: never a throw', () => {
  it('random strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => {
        const r = parseRfc5424(s);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 5000 },
    );
  });

  it('mutated valid lines (deletions, insertions of syntax characters, truncations)', () => {
    const syntax = fc.constantFrom('<', '>', ' ', '[', ']', '"', '\\', '=', '-', '1', 'T', 'Z', ':', '.', '\ufeff', '\0', '\ud800');
    fc.assert(
      fc.property(arbMessage, fc.array(fc.tuple(fc.nat(), fc.nat(3), syntax), { minLength: 1, maxLength: 5 }), (m, edits) => {
        let line = formatRfc5424(m);
        for (const [at, del, ch] of edits) {
          const i = at % (line.length + 1);
          line = line.slice(0, i) + ch + line.slice(i + del);
        }
        const r = parseRfc5424(line);
        if (!r.ok) expect(r.position).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 5000 },
    );
  });
});
