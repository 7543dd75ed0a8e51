import { createReadStream } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Option, type Command } from 'commander';
import cliProgress from 'cli-progress';
import type { Config } from '../platform/config.js';
import { AppError } from '../platform/errors.js';
import type { Page } from '../platform/http/pagination.js';
import type { CliImportResult } from '../modules/imports/cli-data.service.js';
import type { ImportView } from '../modules/imports/imports.schema.js';
import type { ImportProgress } from '../modules/imports/imports.service.js';
import type { CliIO } from './main.js';
import { printJson, printTable } from './output.js';
import { runOp } from './run-op.js';

const objects = { contacts: 'contact', accounts: 'account' } as const;

function progressBar(enabled: boolean): { update(p: unknown): void; stop(): void } {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: '{bar} {percentage}% | {rows} rows | {rate} rows/s | ETA {eta_formatted} | {created} new, {updated} updated, {errors} errors',
      hideCursor: true,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const t0 = Date.now();
  return {
    update(raw) {
      const p = raw as ImportProgress;
      if (!started) {
        bar.start(p.fileSize, 0, {});
        started = true;
      }
      const secs = (Date.now() - t0) / 1000;
      bar.update(p.bytesDone, {
        rows: p.rowsDone.toLocaleString('en'),
        rate: secs > 0 ? Math.round(p.rowsDone / secs).toLocaleString('en') : '-',
        created: p.created.toLocaleString('en'),
        updated: p.updated.toLocaleString('en'),
        errors: p.errors.toLocaleString('en'),
      });
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

async function readMapping(file: string | undefined): Promise<Record<string, string | null> | undefined> {
  if (!file) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new AppError('validation_failed', `--mapping ${file}: ${(err as Error).message}`);
  }
  return parsed as Record<string, string | null>;
}

export function registerDataCommands(program: Command, io: CliIO, getConfig: () => Config): void {
  const imp = program.command('import').description('Import contacts or accounts from CSV; list and undo imports');
  for (const [plural, object] of Object.entries(objects)) {
    imp
      .command(plural)
      .description(
        `Import ${plural} from a CSV file (any delimiter; UTF-8, UTF-16 or Latin-1). Row errors go to an error CSV; the import still runs.`,
      )
      .argument('<file>', 'the CSV file')
      .addOption(new Option('--mode <mode>', 'create only, update only, or both').choices(['upsert', 'create', 'update']).default('upsert'))
      .option('--key <key>', `match rows on ${object === 'contact' ? 'email' : 'domain'} or an external id name (e.g. crm_id)`)
      .option('--dry-run', 'check and count every row, write nothing')
      .addOption(
        new Option('--date-format <format>', 'how to read dates like 03/04/2024').choices(['auto', 'iso', 'us', 'eu']).default('auto'),
      )
      .option('--mapping <file>', 'JSON file of {"CSV header": "field key" | null} overriding the suggested mapping')
      .option('--workspace <slug>', 'workspace slug')
      .option('--json', 'print one JSON object at the end')
      .action(
        async (
          file: string,
          o: { mode: string; key?: string; dryRun?: boolean; dateFormat: string; mapping?: string; workspace?: string; json?: boolean },
        ) => {
          const bar = progressBar(!o.json && Boolean(process.stderr.isTTY));
          let r: CliImportResult;
          try {
            r = (await runOp(
              getConfig(),
              'import.run',
              {
                object,
                file: path.resolve(file),
                mode: o.mode,
                key: o.key,
                dryRun: Boolean(o.dryRun),
                dateFormat: o.dateFormat,
                mapping: await readMapping(o.mapping),
                workspace: o.workspace,
              },
              { progress: (p) => bar.update(p) },
            )) as CliImportResult;
          } finally {
            bar.stop();
          }
          if (o.json) return printJson(io, r);
          const n = (x: number) => x.toLocaleString('en');
          if (o.dryRun) {
            io.out(
              `Dry run of ${path.basename(file)}: ${n(r.rows)} rows; would create ${n(r.created)}, update ${n(r.updated)}, skip ${n(r.skipped)}; ${n(r.errors)} errors. Nothing was written.`,
            );
            const preview = r.preview?.preview ?? [];
            printTable(
              io,
              preview
                .slice(0, 10)
                .map((p) => ({ line: p.row, action: p.action, detail: p.reason ?? JSON.stringify(p.values).slice(0, 100) })),
              ['line', 'action', 'detail'],
            );
            return;
          }
          const secs = r.durationMs === null ? '' : ` in ${(r.durationMs / 1000).toFixed(1)} s`;
          io.out(
            `${r.resumed ? 'Resumed and finished' : 'Imported'} ${path.basename(file)}${secs}: ${n(r.created)} created, ${n(r.updated)} updated, ${n(r.skipped)} skipped, ${n(r.errors)} errors`,
          );
          if (r.errorFile) io.out(`Rows with errors, each with its reason: ${r.errorFile}`);
          io.out(`Undo with: keel import undo ${r.id}`);
        },
      );
  }
  imp
    .command('list')
    .description('Recent imports')
    .option('--workspace <slug>', 'workspace slug')
    .option('--json', 'print JSON')
    .action(async (o: { workspace?: string; json?: boolean }) => {
      const page = (await runOp(getConfig(), 'import.list', { workspace: o.workspace })) as Page<ImportView>;
      if (o.json) return printJson(io, page);
      printTable(
        io,
        page.data.map((i) => ({ ...i, ...i.counts, file: i.fileName })),
        ['id', 'object', 'file', 'status', 'created', 'updated', 'skipped', 'errors', 'createdAt'],
      );
    });
  imp
    .command('undo')
    .description('Undo an import: records it created go to the trash, records it updated get their values back')
    .argument('<id>', 'the import id')
    .option('--workspace <slug>', 'workspace slug')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { workspace?: string; json?: boolean }) => {
      const v = (await runOp(getConfig(), 'import.undo', { id, workspace: o.workspace })) as ImportView;
      if (o.json) return printJson(io, v);
      const u = v.undoResult ?? {};
      io.out(
        `Undid import ${v.id}: ${u.deleted ?? 0} created records moved to the trash, ${u.restored ?? 0} restored, ${u.kept ?? 0} kept (changed since)`,
      );
    });

  const source = program.command('source').description('Tracking sources (a website or app) and their write keys');
  source
    .command('create')
    .description('Create a source and print its write key (shown once)')
    .requiredOption('--name <name>', 'name, e.g. "Website"')
    .addOption(new Option('--kind <kind>', 'what sends the events').choices(['website', 'server', 'mobile', 'other']).default('website'))
    .option('--workspace <slug>', 'workspace slug')
    .option('--json', 'print JSON')
    .action(async (o: { name: string; kind: string; workspace?: string; json?: boolean }) => {
      const s = (await runOp(getConfig(), 'source.create', { name: o.name, kind: o.kind, workspace: o.workspace })) as {
        id: string;
        name: string;
        writeKey: string;
      };
      if (o.json) return printJson(io, s);
      io.out(`Created source ${s.name} (${s.id}). Its write key, shown only now:`);
      io.out(s.writeKey);
    });
  source
    .command('list')
    .description('List sources')
    .option('--workspace <slug>', 'workspace slug')
    .option('--json', 'print JSON')
    .action(async (o: { workspace?: string; json?: boolean }) => {
      const r = (await runOp(getConfig(), 'source.list', { workspace: o.workspace })) as {
        data: Array<{ id: string; name: string; kind: string; keys: Array<{ prefix: string; active: boolean }> }>;
      };
      if (o.json) return printJson(io, r);
      printTable(
        io,
        r.data.map((s) => ({
          ...s,
          keys: s.keys
            .filter((k) => k.active)
            .map((k) => `wk_${k.prefix}_…`)
            .join(' '),
        })),
        ['id', 'name', 'kind', 'keys'],
      );
    });

  const exp = program.command('export').description('Export contacts or accounts as CSV or JSON Lines');
  for (const [plural, object] of Object.entries(objects)) {
    exp
      .command(plural)
      .description(`Export ${plural}: CSV with the headers keel import reads, or JSON Lines`)
      .addOption(new Option('--format <format>', 'file format').choices(['csv', 'jsonl']).default('csv'))
      .option('--out <file>', 'write to this file (default: stdout)')
      .option('--columns <list>', 'comma-separated field keys (default: all)')
      .option('-q, --q <text>', 'only records matching this search')
      .option('--filter <json>', 'only records matching this filter: JSON array of {field, op, value}')
      .option('--workspace <slug>', 'workspace slug')
      .action(async (o: { format: string; out?: string; columns?: string; q?: string; filter?: string; workspace?: string }) => {
        const r = (await runOp(
          getConfig(),
          'export.run',
          {
            object,
            format: o.format,
            out: o.out ? path.resolve(o.out) : undefined,
            columns: o.columns
              ?.split(',')
              .map((c) => c.trim())
              .filter(Boolean),
            q: o.q,
            filter: o.filter,
            workspace: o.workspace,
          },
          { stdout: process.stdout },
        )) as { rows: number; out: string | null; temporary: boolean };
        if (r.temporary && r.out) {
          // Written by the running server: stream it out, then remove it.
          try {
            await pipeline(createReadStream(r.out), process.stdout, { end: false });
          } finally {
            await rm(r.out, { force: true });
          }
        } else if (r.out) {
          io.err(`Exported ${r.rows.toLocaleString('en')} ${plural} to ${r.out}`);
        }
      });
  }
}
