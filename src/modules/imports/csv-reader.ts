import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { CsvError, parse } from 'csv-parse';
import { AppError } from '../../platform/errors.js';
import { createDecoder, detectEncoding, looksBinary, type TextEncodingName } from './csv-encoding.js';

/** Wider than any real export (HubSpot's widest is a few hundred columns); a wall against junk. */
export const MAX_COLUMNS = 1000;
/** One record larger than this is an unbalanced quote swallowing the file, not data. */
export const MAX_RECORD_CHARS = 1_000_000;
const SAMPLE_BYTES = 64 * 1024;

export interface FileFormat {
  encoding: TextEncodingName;
  bomLength: number;
  delimiter: string;
}

export interface CsvRow {
  /** The line the record starts on, counting the header as line 1 (CRLF counted once). */
  line: number;
  /** Data-row ordinal, 1-based (the checkpoint counts these). */
  index: number;
  cells: string[];
  /** File bytes read so far (for progress). */
  bytes: number;
}

/** Counts what flows through: bytes from the file, or characters out of the decoder. */
class Counter extends Transform {
  n = 0;
  constructor(objectish: boolean) {
    super(objectish ? { decodeStrings: false, encoding: 'utf8' } : {});
  }
  override _transform(chunk: Buffer | string, _enc: BufferEncoding, cb: TransformCallback): void {
    this.n += chunk.length;
    cb(null, chunk);
  }
}

const BREAKS = /\r\n|\r|\n/g;

/** Line breaks in a raw record, counting CRLF once (csv-parse's own `lines` counts it twice in quotes). */
function breaks(raw: string): number {
  return raw.match(BREAKS)?.length ?? 0;
}

/** The delimiter that splits the first line into the most fields, outside quotes. */
export function detectDelimiter(firstLine: string): string {
  const counts = new Map<string, number>([
    [',', 0],
    [';', 0],
    ['\t', 0],
    ['|', 0],
  ]);
  let quoted = false;
  for (const ch of firstLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && counts.has(ch)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  }
  let best = ',';
  let n = 0;
  for (const [d, c] of counts) {
    if (c > n) {
      best = d;
      n = c;
    }
  }
  return best;
}

export function csvErrorMessage(err: unknown): string {
  if (err instanceof CsvError) {
    const line = (err as CsvError & { lines?: number }).lines;
    const at = line ? ` (line ${line})` : '';
    switch (err.code) {
      case 'CSV_QUOTE_NOT_CLOSED':
        return `A quoted field is never closed${at}: the file may be cut off or have a stray double quote`;
      case 'CSV_MAX_RECORD_SIZE':
        return `A row is larger than 1 MB${at}: most likely an unbalanced double quote`;
      case 'CSV_INVALID_CLOSING_QUOTE':
        return `A double quote is followed by other characters${at}`;
      default:
        return `The file is not valid CSV${at}: ${err.message}`;
    }
  }
  return err instanceof Error ? err.message : String(err);
}

/** Looks at the first bytes of a file: encoding, whether it is text at all, and the delimiter. */
export async function sniffFormat(path: string): Promise<FileFormat & { size: number }> {
  const size = await stat(path).then(
    (s) => (s.isFile() ? s.size : -1),
    () => {
      throw new AppError('validation_failed', `No such file: ${path}`);
    },
  );
  if (size < 0) throw new AppError('validation_failed', `Not a file: ${path}`);
  if (size === 0) throw new AppError('validation_failed', 'The file is empty');
  const fh = await open(path, 'r');
  let sample: Buffer;
  try {
    const buf = Buffer.alloc(Math.min(SAMPLE_BYTES, size));
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    sample = buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
  const { encoding, bomLength } = detectEncoding(sample);
  if (looksBinary(sample, encoding))
    throw new AppError('validation_failed', 'This file is not text (it looks binary): export it from your CRM as CSV');
  const text = new TextDecoder(encoding).decode(sample.subarray(bomLength));
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  return { encoding, bomLength, delimiter: detectDelimiter(firstLine), size };
}

/**
 * Streams a CSV file as rows: bytes -> decoder (any supported encoding) -> csv-parse, never
 * holding the file in memory. The header comes first with index 0. `skip` data rows are parsed
 * but not yielded (a resumed import restarts after its checkpoint).
 */
export async function* readCsv(path: string, format: FileFormat, skip = 0): AsyncGenerator<CsvRow> {
  const bytes = new Counter(false);
  const chars = new Counter(true);
  const parser = parse({
    delimiter: format.delimiter,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    max_record_size: MAX_RECORD_CHARS,
    info: true,
    raw: true,
  });
  const source = createReadStream(path, { highWaterMark: 64 * 1024 });
  source.on('error', (e) => parser.destroy(e));
  const decoder = createDecoder(format.encoding, format.bomLength);
  source.pipe(bytes).pipe(decoder).pipe(chars).pipe(parser);
  let index = 0;
  let line = 0;
  try {
    for await (const rec of parser as AsyncIterable<{ record: string[]; raw: string; info: { bytes: number } }>) {
      const cells = rec.record;
      // The line the record starts on: every line break before it, and the empty lines it skipped.
      const leading = /^(?:\r\n|\r|\n)*/.exec(rec.raw)?.[0] ?? '';
      const start = line + breaks(leading) + 1;
      line += breaks(rec.raw);
      // The file is read ahead of the parser: scale the bytes read by the share of decoded text parsed.
      const done = chars.n > 0 ? Math.round(bytes.n * Math.min(1, rec.info.bytes / chars.n)) : bytes.n;
      if (index === 0) {
        if (cells.length > MAX_COLUMNS) {
          throw new AppError(
            'validation_failed',
            `The file has ${cells.length.toLocaleString('en')} columns; Keel imports at most ${MAX_COLUMNS.toLocaleString('en')}`,
          );
        }
        yield { line: start, index: 0, cells, bytes: done };
      } else if (index > skip) {
        yield { line: start, index, cells, bytes: done };
      }
      index++;
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError('validation_failed', csvErrorMessage(err));
  } finally {
    source.destroy();
    parser.destroy();
  }
}

/** The header and the first rows, for the mapping screen. */
export async function readHead(path: string, format: FileFormat, rows = 5): Promise<{ headers: string[]; sample: string[][] }> {
  let headers: string[] | null = null;
  const sample: string[][] = [];
  for await (const r of readCsv(path, format)) {
    if (r.index === 0) headers = r.cells.map((h) => h.trim());
    else sample.push(r.cells);
    if (sample.length >= rows) break;
  }
  if (!headers || headers.every((h) => h === '')) throw new AppError('validation_failed', 'The file has no header row');
  if (sample.length === 0) throw new AppError('validation_failed', 'The file has a header row but no data rows');
  return { headers, sample };
}
