import fc from 'fast-check';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { decodings } from '../../support/decodings.ts';
import { LineSplitter, Logger, MemorySink, REDACTED, Redactor, sensitiveValues } from '../../../functions/src/builder/log.ts';

const SECRET = 's3cr3t-value-XYZ';
const fixedNow = () => new Date('2026-01-02T03:04:05.678Z');

function collect(redactor: Redactor, chunks: Array<string | Buffer>, maxLineLength?: number): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(redactor.redact(line)), redactor, maxLineLength);
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return lines;
}

describe('Redactor', () => {
  it('replaces every occurrence', () => {
    expect(new Redactor([SECRET]).redact(`a ${SECRET} b ${SECRET}`)).toBe(`a ${REDACTED} b ${REDACTED}`);
  });

  it('leaves values under 4 characters alone', () => {
    expect(new Redactor(['abc', 'true']).redact('abc is true')).toBe(`abc is ${REDACTED}`);
  });

  it('replaces the longer of two overlapping secrets whole', () => {
    expect(new Redactor(['token', 'token-long-version']).redact('x token-long-version y')).toBe(`x ${REDACTED} y`);
  });

  it('redacts each line of a multi-line secret', () => {
    const pem = '-----BEGIN KEY-----\nMIIBOgIBAAJBAK\n-----END KEY-----';
    const log = new Logger({ sink: new MemorySink(), redactor: new Redactor([pem]), now: fixedNow });
    const splitter = log.stream();
    splitter.push(`key:\n${pem}\n`);
    splitter.end();
    expect(log.tail().join('\n')).not.toContain('MIIBOgIBAAJBAK');
  });
});

describe('Redactor: encoded forms (a value with ", \\, spaces, & and non-ASCII)', () => {
  const PLANTED = 'p@ss "q" \\ & é€ 😀 end';
  const redactor = new Redactor([PLANTED]);
  const env = { BEFORE: 'x', SECRET: PLANTED, AFTER: 'y' };

  it.each([
    ['JSON.stringify(process.env)', JSON.stringify(env)],
    ['JSON of JSON', JSON.stringify(JSON.stringify(env))],
    ['JSON with \\u escapes (Python json.dumps)', JSON.stringify(env).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)],
    ['console.log(process.env)', inspect(env)],
    ['encodeURIComponent', `?s=${encodeURIComponent(PLANTED)}&n=1`],
    ['encodeURIComponent, lowercase hex', `?s=${encodeURIComponent(PLANTED).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase())}`],
    ['encodeURI', encodeURI(`https://x.example/${PLANTED}`)],
    ['form encoding (URLSearchParams, + for spaces)', new URLSearchParams(env).toString()],
    ['a URL-encoded JSON document', encodeURIComponent(JSON.stringify(env))],
    ['hex', Buffer.from(`k=${PLANTED}`).toString('hex')],
    ['HEX', Buffer.from(`k=${PLANTED}`).toString('hex').toUpperCase()],
    ...[0, 1, 2, 3, 4, 5].flatMap((offset) => [
      [`base64 at byte offset ${offset}`, Buffer.from(`${'p'.repeat(offset)}${PLANTED}tail`).toString('base64')],
      [`base64url at byte offset ${offset}`, Buffer.from(`${'p'.repeat(offset)}${PLANTED}tail`).toString('base64url')],
      [`base64 of a JSON document at byte offset ${offset}`, Buffer.from(`${'p'.repeat(offset)}${JSON.stringify(env)}`).toString('base64')],
    ]),
  ])('%s', (_, text) => {
    const out = redactor.redact(text);
    expect(out).toContain(REDACTED);
    // Nothing left decodes back to the value: every piece between the markers is decoded on its own.
    for (const piece of out.split(REDACTED)) {
      for (const decoded of decodings(piece)) expect(decoded).not.toContain('"q" \\ & é€');
    }
  });

  it('never leaves base64 of a value decodable, at any offset and length (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 4, maxLength: 24 }), fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 8 }), (value, before, after) => {
        const encoded = Buffer.concat([Buffer.from(before), Buffer.from(value), Buffer.from(after)]).toString('base64');
        const out = new Redactor([value]).redact(encoded);
        for (const piece of out.split(REDACTED)) {
          // Decoding from each of the 4 character phases covers every alignment of what is left.
          for (let phase = 0; phase < 4; phase++) expect(Buffer.from(piece.slice(phase), 'base64').includes(Buffer.from(value))).toBe(false);
        }
      }),
    );
  });

  it('keeps text that merely shares characters with the value', () => {
    expect(redactor.redact('p@ss is a word; end & é')).toBe('p@ss is a word; end & é');
  });
});

describe('sensitiveValues', () => {
  it('takes the values of the sensitive keys only, plus extras', () => {
    expect(sensitiveValues({ A: 'aaaa', B: 'bbbb' }, ['B', 'MISSING'], ['tok-en'])).toEqual(['bbbb', 'tok-en']);
  });
});

describe('LineSplitter', () => {
  const redactor = new Redactor([SECRET]);

  it('redacts a secret split across two chunks', () => {
    expect(collect(redactor, [`echo ${SECRET.slice(0, 5)}`, `${SECRET.slice(5)} done\n`])).toEqual([`echo ${REDACTED} done`]);
  });

  it('redacts a secret split at every possible position, byte by byte', () => {
    const text = `before ${SECRET} after\nline two ${SECRET}`;
    for (let i = 1; i < text.length; i++) {
      expect(collect(redactor, [text.slice(0, i), text.slice(i)])).toEqual([`before ${REDACTED} after`, `line two ${REDACTED}`]);
    }
    expect(collect(redactor, [...Buffer.from(text)].map((b) => Buffer.from([b])))).toEqual([`before ${REDACTED} after`, `line two ${REDACTED}`]);
  });

  it('decodes UTF-8 characters split across chunks', () => {
    const bytes = Buffer.from('héllo wörld\n');
    expect(collect(redactor, [bytes.subarray(0, 2), bytes.subarray(2, 9), bytes.subarray(9)])).toEqual(['héllo wörld']);
  });

  it('strips CR of CRLF line ends and flushes a last line without newline', () => {
    expect(collect(redactor, ['a\r\nb'])).toEqual(['a', 'b']);
  });

  it('cuts an overlong line without splitting a secret', () => {
    const filler = 'x'.repeat(90);
    const lines = collect(redactor, [`${filler}${SECRET}${filler}${SECRET}${filler}`], 100);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.join('')).not.toContain(SECRET.slice(0, 8));
    expect(lines.join('').replaceAll(REDACTED, SECRET)).toBe(`${filler}${SECRET}${filler}${SECRET}${filler}`);
  });

  it('never lets a secret through, whatever the chunking (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constant(SECRET), fc.string({ maxLength: 20 }), fc.constant('\n')), { maxLength: 20 }),
        fc.array(fc.nat(400), { maxLength: 10 }),
        fc.integer({ min: 20, max: 200 }),
        (parts, cuts, maxLine) => {
          const text = parts.join('');
          const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
          const chunks: string[] = [];
          let last = 0;
          for (const p of points) {
            chunks.push(text.slice(last, p));
            last = p;
          }
          chunks.push(text.slice(last));
          for (const line of collect(redactor, chunks, maxLine)) expect(line).not.toContain(SECRET);
        },
      ),
    );
  });
});

describe('Logger', () => {
  it('prefixes every line with an ISO timestamp and redacts builder messages too', () => {
    const sink = new MemorySink();
    const log = new Logger({ sink, redactor: new Redactor([SECRET]), now: fixedNow });
    log.info(`one ${SECRET}\ntwo`);
    expect(sink.lines).toEqual([`2026-01-02T03:04:05.678Z one ${REDACTED}`, '2026-01-02T03:04:05.678Z two']);
  });

  it('keeps a bounded tail of recent lines', () => {
    const log = new Logger({ sink: new MemorySink(), tailSize: 3, now: fixedNow });
    for (let i = 0; i < 10; i++) log.info(`line ${i}`);
    expect(log.tail().map((l) => l.split(' ').slice(1).join(' '))).toEqual(['line 7', 'line 8', 'line 9']);
    expect(log.tail(2)).toHaveLength(2);
  });
});
