// Works out how an uploaded CSV's bytes are encoded and turns them into text for csv-parse.
// Spreadsheet exports arrive as UTF-8 (with or without a BOM), UTF-16 (Excel's "Unicode text")
// or a legacy Latin-1 code page (older Excel on Windows); we decode all of them rather than ask.
import { Transform, type TransformCallback } from 'node:stream';

export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

// A Latin-script UTF-16 file without a BOM has a NUL in nearly every other byte; a fifth is far
// above anything plain text produces and well below what such a file shows, so either side of it
// is a clear call.
const UTF16_NUL_SHARE = 0.2;

// Real CSVs hold next to no control characters (a stray form feed or 0x1A at the end); binary
// files decoded as text hold about one in eight.
const BINARY_CONTROL_SHARE = 0.05;

export function detectEncoding(sample: Buffer): { encoding: TextEncodingName; bomLength: number } {
  if (sample[0] === 0xef && sample[1] === 0xbb && sample[2] === 0xbf) return { encoding: 'utf-8', bomLength: 3 };
  if (sample[0] === 0xff && sample[1] === 0xfe) return { encoding: 'utf-16le', bomLength: 2 };
  if (sample[0] === 0xfe && sample[1] === 0xff) return { encoding: 'utf-16be', bomLength: 2 };

  const pairs = Math.floor(sample.length / 2);
  if (pairs > 0) {
    let evenNuls = 0;
    let oddNuls = 0;
    for (let i = 0; i < pairs * 2; i += 2) {
      if (sample[i] === 0) evenNuls++;
      if (sample[i + 1] === 0) oddNuls++;
    }
    // The NULs must favour one side clearly: binary data has them on both sides alike.
    if (oddNuls >= pairs * UTF16_NUL_SHARE && evenNuls * 4 < oddNuls) return { encoding: 'utf-16le', bomLength: 0 };
    if (evenNuls >= pairs * UTF16_NUL_SHARE && oddNuls * 4 < evenNuls) return { encoding: 'utf-16be', bomLength: 0 };
  }

  return { encoding: isUtf8(sample) ? 'utf-8' : 'windows-1252', bomLength: 0 };
}

function isUtf8(sample: Buffer): boolean {
  try {
    // `stream: true` holds back a sequence cut off at the end of the sample instead of failing:
    // the sample is the first 64 KiB of a longer file, so the rest of the character follows.
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: true });
    return true;
  } catch {
    return false;
  }
}

export function looksBinary(sample: Buffer, encoding: TextEncodingName): boolean {
  const utf16 = encoding === 'utf-16le' || encoding === 'utf-16be';
  if (!utf16 && sample.includes(0)) return true;
  const text = new TextDecoder(encoding, { fatal: false, ignoreBOM: false }).decode(sample, { stream: true });
  if (text.length === 0) return false;
  let suspicious = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const control = (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || (c >= 0x7f && c <= 0x9f);
    // U+FFFD only appears here for bytes that are not text in the chosen encoding (for UTF-16:
    // unpaired surrogates), which binary data is full of.
    if (control || c === 0xfffd) suspicious++;
  }
  return suspicious / text.length > BINARY_CONTROL_SHARE;
}

/**
 * A Transform from the file's bytes to strings. `stream: true` keeps a character whose bytes are
 * split across two chunks whole; bytes that are not valid in `encoding` become U+FFFD, and the
 * importer reports the rows holding one as errors rather than storing mangled text.
 */
export function createDecoder(encoding: TextEncodingName, bomLength: number): Transform {
  // We strip the BOM ourselves (it may itself be split across chunks), so the decoder must not.
  const decoder = new TextDecoder(encoding, { fatal: false, ignoreBOM: true });
  let bomLeft = bomLength;
  return new Transform({
    decodeStrings: true,
    // With the readable side's encoding set, pushed strings stay strings for csv-parse.
    encoding: 'utf8',
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      let bytes = chunk;
      if (bomLeft > 0) {
        const skip = Math.min(bomLeft, bytes.length);
        bomLeft -= skip;
        bytes = bytes.subarray(skip);
      }
      const text = decoder.decode(bytes, { stream: true });
      if (text.length > 0) this.push(text, 'utf8');
      callback();
    },
    flush(callback: TransformCallback) {
      // A character cut off at the very end of the file comes out as U+FFFD here.
      const text = decoder.decode();
      if (text.length > 0) this.push(text, 'utf8');
      callback();
    },
  });
}
