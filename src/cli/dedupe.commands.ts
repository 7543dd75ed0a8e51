import { Option, type Command } from 'commander';
import type { Config } from '../platform/config.js';
import type { ScanView } from '../modules/dedupe/dedupe.schema.js';
import type { ScanProgress } from '../modules/dedupe/detect.service.js';
import type { CliIO } from './main.js';
import { printJson } from './output.js';
import { runOp } from './run-op.js';

const objects = { contacts: 'contact', accounts: 'account' } as const;

export function registerDedupeCommands(program: Command, io: CliIO, getConfig: () => Config): void {
  const d = program.command('dedupe').description('Duplicate contacts and accounts');
  d.command('scan')
    .description('Run a full duplicate scan and wait for it: pairs at or above the review threshold land in the review queue')
    .addOption(new Option('--object <object>', 'what to scan').choices(['contacts', 'accounts']).default('contacts'))
    .option('--workspace <slug>', 'workspace slug')
    .option('--json', 'print the finished scan as one JSON object')
    .action(async (o: { object: keyof typeof objects; workspace?: string; json?: boolean }) => {
      const tty = !o.json && Boolean(process.stderr.isTTY);
      let last = '';
      const progress = (raw: unknown) => {
        if (!tty) return;
        const p = raw as ScanProgress;
        const line = `${p.phase}: ${p.done.toLocaleString('en')}${p.total ? ` / ${p.total.toLocaleString('en')}` : ''}`;
        if (line !== last) process.stderr.write(`\r${line.padEnd(60)}`);
        last = line;
      };
      const scan = (await runOp(
        getConfig(),
        'dedupe.scan',
        { object: objects[o.object], workspace: o.workspace },
        { progress },
      )) as ScanView;
      if (tty) process.stderr.write('\n');
      if (o.json) return printJson(io, scan);
      const s = scan.stats as { records?: number; candidates?: number; pairs?: number; autoMerged?: number; durationMs?: number };
      const n = (x: number | undefined) => (x ?? 0).toLocaleString('en');
      io.out(
        `Scanned ${n(s.records)} ${o.object} in ${((s.durationMs ?? 0) / 1000).toFixed(1)} s: ${n(s.candidates)} candidate pairs, ${n(s.pairs)} at or above the review threshold, ${n(s.autoMerged)} merged automatically`,
      );
      io.out('Review them in the app (Data quality › Duplicates) or with GET /api/v1/duplicates');
    });
}
