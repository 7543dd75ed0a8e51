import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../platform/config.js';
import { projectRoot } from '../platform/version.js';
import { buildProgram } from './main.js';

describe('generated docs', () => {
  it('docs/permissions.md matches the policies (regenerate with npm run docs:permissions)', async () => {
    const out: string[] = [];
    const program = buildProgram({ out: (l) => out.push(l), err: () => {} }, () => loadConfig({}));
    await program.parseAsync(['node', 'keel', 'docs', 'permissions']);
    const file = await readFile(path.join(projectRoot, 'docs/permissions.md'), 'utf8');
    expect(file.trim()).toBe(out.join('\n').trim());
  });

  it('--help lists every command group', async () => {
    const out: string[] = [];
    const program = buildProgram({ out: (l) => out.push(l), err: (l) => out.push(l) }, () => loadConfig({}));
    program.exitOverride();
    await expect(program.parseAsync(['node', 'keel', '--help'])).rejects.toMatchObject({ code: 'commander.helpDisplayed' });
    for (const c of ['serve', 'migrate', 'user', 'api-key', 'workspace', 'doctor', 'backup', 'restore'])
      expect(out.join('\n')).toContain(c);
  });
});
