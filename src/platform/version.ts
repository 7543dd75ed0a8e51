import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

function findRoot(dir: string): string {
  let d = dir;
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(d, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'keel') return d;
    } catch {
      /* keep going up */
    }
    d = path.dirname(d);
  }
  return path.resolve(here, '../..');
}

export const projectRoot = findRoot(here);
export const version: string = (JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;
