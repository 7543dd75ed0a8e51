import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCsv, sniffFormat } from './csv-reader.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'keel-csv-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function rows(text: string): Promise<Array<{ line: number; cells: string[]; bytes: number }>> {
  const p = path.join(dir, `f${Math.random()}.csv`);
  writeFileSync(p, text);
  const out = [];
  for await (const r of readCsv(p, await sniffFormat(p))) out.push(r);
  return out;
}

describe('readCsv', () => {
  it('reports the line each record starts on, with quoted newlines, CRLF and empty lines', async () => {
    for (const nl of ['\n', '\r\n']) {
      const text = ['a,b', '1,"x', 'y"', '', '2,z', '3,"p', 'q', 'r"', '4,5'].join(nl);
      expect((await rows(text)).map((r) => [r.line, r.cells[0]])).toEqual([
        [1, 'a'],
        [2, '1'],
        [5, '2'],
        [6, '3'],
        [9, '4'],
      ]);
    }
  });

  it('reports progress as the bytes parsed, not the bytes read ahead', async () => {
    const text = `email\n${Array.from({ length: 30_000 }, (_, i) => `person${i}@example.com`).join('\n')}\n`;
    const all = await rows(text);
    const mid = all[15_000];
    expect(mid?.bytes).toBeGreaterThan(Buffer.byteLength(text) * 0.4);
    expect(mid?.bytes).toBeLessThan(Buffer.byteLength(text) * 0.6);
  });
});
