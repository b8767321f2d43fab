import { StringDecoder } from 'node:string_decoder';
import { inspect } from 'node:util';
import type { LogSink } from './ports.ts';

export const REDACTED = '[redacted]';
/** Values shorter than this are not redacted: "1", "true" or "dev" would shred every line. */
export const MIN_SECRET_LENGTH = 4;
/** A line longer than this is emitted in pieces, so one unterminated stream cannot hold memory. */
export const MAX_LINE_LENGTH = 64 * 1024;

/**
 * The forms a value takes when a build prints it through common encoders, each of which a log
 * line may hold instead of the raw value:
 * - escaped inside a string literal: `JSON.stringify` (once, and twice, as when a JSON document is
 *   embedded in another), JSON with non-ASCII as `\uXXXX` (Python's `json.dumps`), and Node's
 *   `util.inspect` (`console.log(process.env)`);
 * - then, of the raw and of each escaped form (a JSON document put in a URL or base64-encoded):
 *   - URL-encoded: `encodeURIComponent`, `encodeURI` and the form encoding (`URLSearchParams`,
 *     spaces as `+`), each also with lowercase hex digits;
 *   - base64 and base64url of its UTF-8 bytes, at each of the three byte alignments it can have
 *     inside a longer encoded text: only the characters that depend on the value's bytes alone
 *     are kept (RFC 4648 §4/§5: a character carries 6 bits, so the n bytes at offset `a` (0-2)
 *     fill characters `ceil(8a/6)` to `floor(8(a+n)/6) - 1`);
 *   - hex of its UTF-8 bytes, lower and upper case.
 */
export function encodedForms(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1);
  const escaped = new Set<string>([
    value,
    json,
    JSON.stringify(json).slice(1, -1),
    json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
    inspect(value).slice(1, -1),
  ]);
  const forms = new Set<string>(escaped);
  for (const text of escaped) {
    for (const encoded of [encodeURIComponent(text), safeEncodeUri(text), new URLSearchParams({ v: text }).toString().slice(2)]) {
      forms.add(encoded);
      forms.add(encoded.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()));
    }
    const bytes = Buffer.from(text, 'utf8');
    for (let alignment = 0; alignment < 3; alignment++) {
      const padded = Buffer.concat([Buffer.alloc(alignment), bytes]);
      const from = Math.ceil((8 * alignment) / 6);
      const to = Math.floor((8 * (alignment + bytes.length)) / 6);
      forms.add(padded.toString('base64').slice(from, to));
      forms.add(padded.toString('base64url').slice(from, to));
    }
    const hex = bytes.toString('hex');
    forms.add(hex);
    forms.add(hex.toUpperCase());
  }
  return [...forms];
}

/** `encodeURI`, which throws on a lone surrogate; such a value has no URI form to hide. */
function safeEncodeUri(value: string): string {
  try {
    return encodeURI(value);
  } catch {
    return value;
  }
}

/**
 * Replaces secret values in text, in every form of {@link encodedForms}. Multi-line values (PEM
 * keys) are also matched line by line, because log lines are redacted one at a time.
 */
export class Redactor {
  readonly #values: readonly string[];

  constructor(values: Iterable<string>) {
    const all = new Set<string>();
    for (const value of values) {
      for (const candidate of [value, ...value.split(/\r?\n/)].flatMap(encodedFormsOrNone)) {
        if (candidate.length >= MIN_SECRET_LENGTH) all.add(candidate);
      }
    }
    // Longest first, so a secret that contains another is replaced whole.
    this.#values = [...all].sort((a, b) => b.length - a.length);
  }

  /** Length of the longest value; a split line must keep this many characters minus one. */
  get maxLength(): number {
    return this.#values[0]?.length ?? 0;
  }

  get values(): readonly string[] {
    return this.#values;
  }

  redact(text: string): string {
    let out = text;
    for (const value of this.#values) {
      if (out.includes(value)) out = out.split(value).join(REDACTED);
    }
    return out;
  }
}

/** Forms of a value long enough to redact (a short one would shred every line, and so would its encodings). */
function encodedFormsOrNone(value: string): string[] {
  return value.length >= MIN_SECRET_LENGTH ? encodedForms(value) : [];
}

/** The values of the job's sensitive env vars (plus any extra secrets such as the upload token). */
export function sensitiveValues(
  env: Readonly<Record<string, string>>,
  sensitiveKeys: readonly string[],
  extra: readonly string[] = [],
): string[] {
  const values = sensitiveKeys.map((key) => env[key]).filter((v): v is string => v !== undefined);
  return [...values, ...extra];
}

/**
 * Turns a byte stream into lines. Input is buffered until a newline, so a secret split across
 * two chunks is still whole when the line is redacted. A line that grows past `maxLineLength`
 * is cut at a point no secret straddles.
 */
export class LineSplitter {
  readonly #onLine: (line: string) => void;
  readonly #redactor: Redactor;
  readonly #maxLineLength: number;
  readonly #decoder = new StringDecoder('utf8');
  #buffer = '';

  constructor(onLine: (line: string) => void, redactor: Redactor, maxLineLength = MAX_LINE_LENGTH) {
    this.#onLine = onLine;
    this.#redactor = redactor;
    this.#maxLineLength = Math.max(maxLineLength, 2 * redactor.maxLength);
  }

  push(chunk: Buffer | string): void {
    this.#buffer += typeof chunk === 'string' ? chunk : this.#decoder.write(chunk);
    let newline = this.#buffer.indexOf('\n');
    while (newline !== -1) {
      this.#emit(this.#buffer.slice(0, newline));
      this.#buffer = this.#buffer.slice(newline + 1);
      newline = this.#buffer.indexOf('\n');
    }
    while (this.#buffer.length > this.#maxLineLength) {
      const cut = this.#safeCut(this.#buffer.length - Math.max(this.#redactor.maxLength - 1, 0));
      this.#emit(this.#buffer.slice(0, cut));
      this.#buffer = this.#buffer.slice(cut);
    }
  }

  /** Flushes what is left (a last line without a newline). */
  end(): void {
    this.#buffer += this.#decoder.end();
    if (this.#buffer.length > 0) this.#emit(this.#buffer);
    this.#buffer = '';
  }

  #emit(line: string): void {
    this.#onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
  }

  /** Moves `cut` left until no secret occurrence spans it. */
  #safeCut(target: number): number {
    let cut = target;
    let moved = true;
    while (moved) {
      moved = false;
      for (const value of this.#redactor.values) {
        const start = this.#buffer.indexOf(value, Math.max(0, cut - value.length + 1));
        if (start !== -1 && start < cut && start + value.length > cut) {
          cut = start;
          moved = true;
        }
      }
    }
    // A cut at 0 would loop forever; maxLineLength ≥ 2 × the longest secret makes this unreachable.
    return Math.max(cut, 1);
  }
}

/** Writes each line to stdout: CodeBuild ships stdout to CloudWatch Logs, the local runner reads it. */
export const stdoutSink: LogSink = {
  write(line) {
    process.stdout.write(`${line}\n`);
  },
};

/** Keeps lines in memory; for tests and for callers that post-process the log. */
export class MemorySink implements LogSink {
  readonly lines: string[] = [];
  write(line: string): void {
    this.lines.push(line);
  }
}

export interface LoggerOptions {
  sink: LogSink;
  redactor?: Redactor;
  now?: () => Date;
  /** How many recent lines to keep for error reports. @default 50 */
  tailSize?: number;
}

/**
 * The builder's only way to print. Every line is `<ISO timestamp> <text>` with secrets replaced,
 * whether it comes from the builder itself or from a child process.
 */
export class Logger {
  readonly redactor: Redactor;
  readonly #sink: LogSink;
  readonly #now: () => Date;
  readonly #tailSize: number;
  readonly #tail: string[] = [];

  constructor(options: LoggerOptions) {
    this.#sink = options.sink;
    this.redactor = options.redactor ?? new Redactor([]);
    this.#now = options.now ?? (() => new Date());
    this.#tailSize = options.tailSize ?? 50;
  }

  /** Logs text; embedded newlines become separate lines. */
  info(text: string): void {
    for (const line of text.split(/\r?\n/)) this.#line(line);
  }

  /** A splitter whose lines go to this log, for one output stream of a child process. */
  stream(): LineSplitter {
    return new LineSplitter((line) => this.#line(line), this.redactor);
  }

  /** The last `n` lines as written (already redacted and timestamped). */
  tail(n = this.#tailSize): string[] {
    return this.#tail.slice(-n);
  }

  #line(text: string): void {
    const line = `${this.#now().toISOString()} ${this.redactor.redact(text)}`;
    this.#tail.push(line);
    if (this.#tail.length > this.#tailSize) this.#tail.shift();
    this.#sink.write(line);
  }
}
