#!/usr/bin/env node
// npm links the bins of dependencies, not the project's own: link `keel` so that
// node_modules/.bin/keel (and so `npx keel`) works in a checkout after `npm install`.
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../node_modules/.bin/', import.meta.url));
mkdirSync(bin, { recursive: true });
rmSync(`${bin}keel`, { force: true });
symlinkSync('../../bin/keel.js', `${bin}keel`);
