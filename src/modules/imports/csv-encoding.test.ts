import { Readable } from 'node:stream';
import { parse } from 'csv-parse';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDecoder, detectEncoding, looksBinary, type TextEncodingName } from './csv-encoding.js';

const SAMPLE = 'Email,First Name,City\nzoë@example.de,Zoë,Köln\nmarta@example.es,Marta,A Coruña\n€ 12,"ça va",日本\n';

function encode(text: string, encoding: TextEncodingName, bom: boolean): Buffer {
  if (encoding === 'utf-8') return Buffer.concat([bom ? Buffer.from([0xef, 0xbb, 0xbf]) : Buffer.alloc(0), Buffer.from(text, 'utf8')]);
  if (encoding === 'utf-16le') return Buffer.concat([bom ? Buffer.from([0xff, 0xfe]) : Buffer.alloc(0), Buffer.from(text, 'utf16le')]);
  if (encoding === 'utf-16be') {
    const le = Buffer.from(text, 'utf16le');
    return Buffer.concat([bom ? Buffer.from([0xfe, 0xff]) : Buffer.alloc(0), Buffer.from(le).swap16()]);
  }
  return Buffer.from(text, 'latin1');
}

async function decodeChunks(chunks: readonly Buffer[], encoding: TextEncodingName, bomLength: number): Promise<string[]> {
  const out: string[] = [];
  const decoder = createDecoder(encoding, bomLength);
  const done = new Promise<void>((resolve, reject) => {
    decoder.on('data', (s: unknown) => {
      expect(typeof s).toBe('string');
      out.push(s as string);
    });
    decoder.on('end', resolve);
    decoder.on('error', reject);
  });
  for (const c of chunks) decoder.write(c);
  decoder.end();
  await done;
  return out;
}

async function decodeAll(bytes: Buffer, chunks: readonly Buffer[] = [bytes]): Promise<string> {
  const { encoding, bomLength } = detectEncoding(bytes);
  return (await decodeChunks(chunks, encoding, bomLength)).join('');
}

describe('detectEncoding', () => {
  it('reads the byte order mark', () => {
    expect(detectEncoding(encode(SAMPLE, 'utf-8', true))).toEqual({ encoding: 'utf-8', bomLength: 3 });
    expect(detectEncoding(encode(SAMPLE, 'utf-16le', true))).toEqual({ encoding: 'utf-16le', bomLength: 2 });
    expect(detectEncoding(encode(SAMPLE, 'utf-16be', true))).toEqual({ encoding: 'utf-16be', bomLength: 2 });
  });

  it('guesses UTF-16 without a BOM from where the NUL bytes sit', () => {
    expect(detectEncoding(encode(SAMPLE, 'utf-16le', false))).toEqual({ encoding: 'utf-16le', bomLength: 0 });
    expect(detectEncoding(encode(SAMPLE, 'utf-16be', false))).toEqual({ encoding: 'utf-16be', bomLength: 0 });
  });

  it('takes valid UTF-8 as UTF-8, and anything else as windows-1252', () => {
    expect(detectEncoding(encode(SAMPLE, 'utf-8', false))).toEqual({ encoding: 'utf-8', bomLength: 0 });
    expect(detectEncoding(Buffer.from('plain,ascii\n1,2\n'))).toEqual({ encoding: 'utf-8', bomLength: 0 });
    expect(detectEncoding(Buffer.from('Name\nZoë Müller\nCafé\n', 'latin1'))).toEqual({ encoding: 'windows-1252', bomLength: 0 });
    expect(detectEncoding(Buffer.alloc(0))).toEqual({ encoding: 'utf-8', bomLength: 0 });
  });

  it('still calls UTF-8 a sample whose last character is cut off by the 64 KiB limit', () => {
    const bytes = Buffer.from('a,b\nZoë,日本', 'utf8');
    for (let cut = 1; cut <= 2; cut++) {
      expect(detectEncoding(bytes.subarray(0, bytes.length - cut)).encoding).toBe('utf-8');
    }
    // An invalid byte anywhere but a cut-off tail still means it is not UTF-8.
    expect(detectEncoding(Buffer.concat([Buffer.from('Zo'), Buffer.from([0xeb]), Buffer.from(',x\n')])).encoding).toBe('windows-1252');
  });

  it('never throws, and any text encoded as UTF-8 is detected as UTF-8', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => void detectEncoding(Buffer.from(bytes))));
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        // Text made mostly of NUL/control characters is not text a person would upload.
        fc.pre(!text.includes('\u0000'));
        expect(detectEncoding(Buffer.from(text, 'utf8')).encoding).toBe('utf-8');
      }),
    );
  });
});

describe('looksBinary', () => {
  it('passes text in every encoding', () => {
    for (const encoding of ['utf-8', 'utf-16le', 'utf-16be', 'windows-1252'] as const) {
      const bytes = encode(encoding === 'windows-1252' ? 'Name\tCity\r\nZoë\tKöln\r\n' : SAMPLE, encoding, false);
      expect(looksBinary(bytes, detectEncoding(bytes).encoding)).toBe(false);
    }
    expect(looksBinary(Buffer.alloc(0), 'utf-8')).toBe(false);
  });

  it('refuses NUL bytes outside UTF-16, and a high share of control characters', () => {
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452000001000000010008060000005c72a866', 'hex');
    expect(looksBinary(png, detectEncoding(png).encoding)).toBe(true);
    expect(looksBinary(Buffer.from('a,b\n1,\u0000\n'), 'utf-8')).toBe(true);
    expect(looksBinary(Buffer.from('\u0001\u0002\u0003\u0004abcdefgh'), 'utf-8')).toBe(true);
    // A trailing DOS end-of-file marker in an otherwise normal file is fine.
    expect(looksBinary(Buffer.from(`${'Email,Name\na@x.io,A\n'.repeat(10)}\u001a`), 'utf-8')).toBe(false);
  });

  it('refuses pseudo-random bytes', () => {
    let x = 12345;
    const bytes = Buffer.alloc(4096);
    for (let i = 0; i < bytes.length; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      bytes[i] = x >>> 16;
    }
    expect(looksBinary(bytes, detectEncoding(bytes).encoding)).toBe(true);
  });
});

describe('createDecoder', () => {
  it('strips the BOM and decodes every encoding', async () => {
    for (const encoding of ['utf-8', 'utf-16le', 'utf-16be'] as const) {
      for (const bom of [true, false]) {
        expect(await decodeAll(encode(SAMPLE, encoding, bom))).toBe(SAMPLE);
      }
    }
    const latin = 'Name\nZoë Müller\n';
    expect(await decodeAll(encode(latin, 'windows-1252', false))).toBe(latin);
    // windows-1252, not ISO-8859-1: 0x80 is the euro sign.
    expect((await decodeChunks([Buffer.from([0x80, 0x31, 0x32])], 'windows-1252', 0)).join('')).toBe('€12');
  });

  it('decodes the same text wherever the chunks are split, BOM included', async () => {
    for (const encoding of ['utf-8', 'utf-16le', 'utf-16be'] as const) {
      const bytes = encode('Zoë,日本,😀\n', encoding, true);
      for (let i = 0; i <= bytes.length; i++) {
        const chunks = [bytes.subarray(0, i), bytes.subarray(i)];
        expect(await decodeAll(bytes, chunks), `${encoding} split at ${i}`).toBe('Zoë,日本,😀\n');
      }
    }
  });

  it('decodes the same text when every byte is its own chunk', async () => {
    const bytes = encode(SAMPLE, 'utf-8', true);
    const chunks = [...bytes].map((b) => Buffer.from([b]));
    expect(await decodeAll(bytes, chunks)).toBe(SAMPLE);
  });

  it('decodes any text split into any chunks', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.constantFrom<TextEncodingName>('utf-8', 'utf-16le', 'utf-16be'),
        async (text, cuts, encoding) => {
          const bytes = encode(text, encoding, true);
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
          const chunks = [0, ...points].map((start, k) => bytes.subarray(start, [...points, bytes.length][k]));
          const bomLength = encoding === 'utf-8' ? 3 : 2;
          expect((await decodeChunks(chunks, encoding, bomLength)).join('')).toBe(text);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('turns invalid bytes, and a character cut off at the end of the file, into U+FFFD', async () => {
    expect((await decodeChunks([Buffer.from([0x61, 0xff, 0x62])], 'utf-8', 0)).join('')).toBe('a\ufffdb');
    expect((await decodeChunks([Buffer.from([0x61, 0xe6, 0x97])], 'utf-8', 0)).join('')).toBe('a\ufffd');
  });

  it('feeds csv-parse strings it can parse', async () => {
    const bytes = encode(SAMPLE, 'utf-16le', true);
    const { encoding, bomLength } = detectEncoding(bytes);
    const records: string[][] = [];
    const parser = Readable.from([bytes.subarray(0, 7), bytes.subarray(7)])
      .pipe(createDecoder(encoding, bomLength))
      .pipe(parse());
    for await (const record of parser) records.push(record as string[]);
    expect(records).toEqual([
      ['Email', 'First Name', 'City'],
      ['zoë@example.de', 'Zoë', 'Köln'],
      ['marta@example.es', 'Marta', 'A Coruña'],
      ['€ 12', 'ça va', '日本'],
    ]);
  });
});
