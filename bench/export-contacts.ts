// `keel export contacts` of a 1M-contact workspace to CSV and JSONL files vs COPY ... TO STDOUT.
//
//   npm run bench -- export-contacts [--db NAME] [--rows 1000000] [--seed 1] [--formats csv,jsonl]
//                                    [--rounds 1] [--cpu-prof] [--keep-db] [--quiet-wait 30]
//
// The workspace: `--db NAME` reuses a database kept by `import-contacts --keep-db`; otherwise a new
// database is filled with `keel import contacts` of the seeded CSV (--rows, --seed). The timed part
// is `node bin/keel.js export contacts --format F --out FILE --workspace bench-contacts` (which calls
// exportFromCli -> writeExport, the code behind exportRecords) from launch to exit, under
// `/usr/bin/time -v` for its peak RSS and CPU; the rows are counted in the file afterwards.
//
// Baselines, in the same run: psql's `\copy (select ...) to FILE`, i.e. COPY (SELECT ...) TO STDOUT
// streamed into a file by psql, of the same rows in the same order (live contacts of the workspace,
// by id): CSV of the export's columns (core columns, the five custom values out of the jsonb, the
// external ids left out since the workspace has none), and for JSONL, one row_to_json per line.
// For context, a bare Node + pg exporter doing the same pages, columns and escaping with nothing
// else (bench/lib/bare-export.ts): what the work costs in Node without Keel's per-row objects.
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { bareExportCommand, bareExportEnv } from './lib/bare-export.js';
import { CONTACTS_CSV_CUSTOM_FIELDS } from './lib/contacts-csv.js';
import { PgCpu, scratchDir, seededWorkspace } from './lib/contacts-db.js';
import { summariseProfile } from './lib/profile.js';
import {
  dataRoot,
  ensureServerBuilt,
  fmt,
  keelBin,
  machineBusyMs,
  machineInfo,
  machineStealMs,
  median,
  onCleanup,
  printMachine,
  Proc,
  quietCheck,
  runBenchmark,
  sleep,
  table,
  waitQuiet,
} from './lib/util.js';

const { values: opts } = parseArgs({
  options: {
    db: { type: 'string' },
    rows: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '1' },
    formats: { type: 'string', default: 'csv,jsonl' },
    rounds: { type: 'string', default: '1' },
    'cpu-prof': { type: 'boolean', default: false },
    'keep-db': { type: 'boolean', default: false },
    'quiet-wait': { type: 'string', default: '30' },
  },
});
const formats = opts.formats.split(',').map((s) => s.trim());
for (const f of formats) if (f !== 'csv' && f !== 'jsonl') throw new Error(`--formats takes csv and/or jsonl, not ${f}`);
const rounds = Number(opts.rounds);
const runId = `${process.pid}`;
const profDir = path.join(dataRoot, 'profiles', `export-contacts-${runId}`);
const GOAL_ROWS_PER_S = 50_000;

interface Run {
  what: string;
  ms: number;
  rows: number;
  bytes: number;
  maxRssKb: number | null;
  cpuS: number;
  pgCpuS: number;
  otherCores: number;
  stealCores: number;
}

/** Lines in a file (rows of CSV without quoted newlines, or JSON Lines). */
async function countLines(file: string): Promise<number> {
  let n = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) n++;
  }
  return n;
}

/** Runs `cmd` under /usr/bin/time -v (when present), polling the database's backend CPU. */
async function timedChild(
  what: string,
  cmd: string[],
  env: NodeJS.ProcessEnv,
  dbName: string,
): Promise<{ ms: number; maxRssKb: number | null; cpuS: number; pgCpuS: number; otherCores: number; stealCores: number }> {
  await waitQuiet(Number(opts['quiet-wait']));
  const useTime = existsSync('/usr/bin/time');
  const pgCpu = new PgCpu(dbName);
  const busy0 = machineBusyMs();
  const steal0 = machineStealMs();
  const [bin = '', ...args] = useTime ? ['/usr/bin/time', '-v', ...cmd] : cmd;
  const proc = new Proc(what, bin, args, env);
  onCleanup(() => proc.stop());
  while (proc.running) {
    pgCpu.poll();
    await Promise.race([proc.exited, sleep(100)]);
  }
  const ms = performance.now() - proc.startedAt;
  if (proc.exitCode !== 0) throw new Error(`${what} exited with ${proc.exitCode}\n${proc.tail(30)}`);
  const num = (label: string) => Number(new RegExp(`${label}: ([\\d.]+)`).exec(proc.output)?.[1] ?? NaN);
  const cpuS = useTime ? num('User time \\(seconds\\)') + num('System time \\(seconds\\)') : NaN;
  const maxRssKb = useTime ? num('Maximum resident set size \\(kbytes\\)') : null;
  const pgCpuS = pgCpu.ms / 1000;
  const otherCores = Math.max(0, machineBusyMs() - busy0 - (cpuS + pgCpuS) * 1000) / ms;
  return { ms, maxRssKb, cpuS, pgCpuS, otherCores, stealCores: (machineStealMs() - steal0) / ms };
}

runBenchmark(async () => {
  const machine = machineInfo();
  console.log('export-contacts: keel export contacts (CSV, JSONL) of a 1M-contact workspace vs COPY TO STDOUT');
  printMachine(machine);
  await quietCheck();
  if (opts['cpu-prof']) console.log('NOTE: --cpu-prof is on: the exports run under the V8 profiler, so they are slower than normal.\n');
  ensureServerBuilt();

  const seeded = await seededWorkspace({
    reuse: opts.db,
    rows: Number(opts.rows),
    seed: Number(opts.seed),
    keep: opts['keep-db'],
    label: 'export-contacts',
  });
  const { dbName, workspaceId, env } = seeded;
  console.log(`database ${dbName}, workspace ${seeded.slug}: ${seeded.contacts.toLocaleString('en')} live contacts\n`);
  const outDir = scratchDir(`export-contacts-${runId}-out`);

  const where = `workspace_id = '${workspaceId}' and deleted_at is null`;
  const customCols = CONTACTS_CSV_CUSTOM_FIELDS.map((f) => `custom->>'${f.key}' as "custom.${f.key}"`).join(', ');
  const copyCsv = `select id, email, first_name, last_name, phone, title, company, country, city, lifecycle_stage, source, owner_id, ${customCols}, created_at, updated_at from contacts where ${where} order by id`;
  const copyJson = `select row_to_json(r) from (select id, email, first_name, last_name, phone, title, company, country, city, lifecycle_stage, source, owner_id, account_id, traits, custom, version, created_at, updated_at, deleted_at from contacts where ${where} order by id) r`;

  const runs: Run[] = [];
  for (let round = 1; round <= rounds; round++) {
    for (const format of formats) {
      const out = path.join(outDir, `keel-${round}.${format}`);
      const nodeArgs = opts['cpu-prof']
        ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=export-${format}-${round}.cpuprofile`]
        : [];
      const what = `Keel export, ${format.toUpperCase()}`;
      console.log(`${what} (round ${round})…`);
      const cmd = [
        process.execPath,
        ...nodeArgs,
        keelBin,
        'export',
        'contacts',
        '--format',
        format,
        '--out',
        out,
        '--workspace',
        seeded.slug,
      ];
      const t = await timedChild(what, cmd, env, dbName);
      const lines = await countLines(out);
      const rows = format === 'csv' ? lines - 1 : lines;
      if (rows !== seeded.contacts) throw new Error(`${what}: ${rows} rows in ${out}, expected ${seeded.contacts}`);
      runs.push({ what, rows, bytes: statSync(out).size, ...t });
      console.log(`  ${fmt(t.ms / 1000, 1)} s, ${fmt(rows / (t.ms / 1000), 0)} rows/s`);

      const bOut = path.join(outDir, `copy-${round}.${format}`);
      const bWhat = `baseline: COPY (SELECT ...) TO STDOUT, ${format === 'csv' ? 'CSV' : 'row_to_json lines'}`;
      console.log(`${bWhat} (round ${round})…`);
      const copy =
        format === 'csv' ? `\\copy (${copyCsv}) to '${bOut}' with (format csv, header true)` : `\\copy (${copyJson}) to '${bOut}'`;
      const b = await timedChild(
        bWhat,
        ['psql', '-h', '127.0.0.1', '-U', 'postgres', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', dbName, '-c', copy],
        env,
        dbName,
      );
      const bLines = await countLines(bOut);
      runs.push({ what: bWhat, rows: format === 'csv' ? bLines - 1 : bLines, bytes: statSync(bOut).size, ...b });
      console.log(`  ${fmt(b.ms / 1000, 1)} s`);

      const cOut = path.join(outDir, `bare-${round}.${format}`);
      const cWhat = `context: bare Node + pg exporter, ${format.toUpperCase()}`;
      console.log(`${cWhat} (round ${round})…`);
      const cEnv = bareExportEnv(env, {
        databaseUrl: seeded.databaseUrl,
        workspaceId,
        format: format as 'csv' | 'jsonl',
        out: cOut,
        custom: CONTACTS_CSV_CUSTOM_FIELDS.map((f) => [f.key, f.type]),
      });
      const c = await timedChild(cWhat, bareExportCommand(), cEnv, dbName);
      const cLines = await countLines(cOut);
      runs.push({ what: cWhat, rows: format === 'csv' ? cLines - 1 : cLines, bytes: statSync(cOut).size, ...c });
      console.log(`  ${fmt(c.ms / 1000, 1)} s`);
    }
  }

  const summary = [...new Set(runs.map((r) => r.what))].map((what) => {
    const mine = runs.filter((r) => r.what === what);
    const ms = median(mine.map((r) => r.ms));
    const first = mine[0];
    return {
      what,
      ms,
      rows: first?.rows ?? 0,
      bytes: first?.bytes ?? 0,
      rss: first?.maxRssKb ?? null,
      cpuS: median(mine.map((r) => r.cpuS)),
      pgCpuS: median(mine.map((r) => r.pgCpuS)),
      other: Math.max(...mine.map((r) => r.otherCores)),
      steal: Math.max(...mine.map((r) => r.stealCores)),
    };
  });
  console.log(`\nresults (${rounds > 1 ? `median of ${rounds} rounds` : 'one round'}; wall time from launch to exit):\n`);
  console.log(
    table(
      [
        'what',
        'wall s',
        'rows',
        'rows/s',
        'MiB written',
        'peak RSS MB',
        'process CPU s',
        'PostgreSQL CPU s',
        'other load / steal (cores)',
        `goal >= ${GOAL_ROWS_PER_S} rows/s`,
      ],
      summary.map((s) => {
        const rate = s.rows / (s.ms / 1000);
        return [
          s.what,
          fmt(s.ms / 1000, 1),
          String(s.rows),
          fmt(rate, 0),
          fmt(s.bytes / 2 ** 20, 1),
          s.rss === null ? '-' : fmt(s.rss / 1024, 0),
          fmt(s.cpuS, 1),
          fmt(s.pgCpuS, 1),
          `${fmt(s.other)} / ${fmt(s.steal)}`,
          s.what.startsWith('Keel') ? (rate >= GOAL_ROWS_PER_S ? 'met' : 'NOT met') : '',
        ];
      }),
    ),
  );
  for (const format of formats) {
    const k = summary.find((s) => s.what === `Keel export, ${format.toUpperCase()}`);
    const b = summary.find((s) => s.what.startsWith('baseline') && s.what.includes(format === 'csv' ? 'CSV' : 'row_to_json'));
    const c = summary.find((s) => s.what === `context: bare Node + pg exporter, ${format.toUpperCase()}`);
    if (k && b) console.log(`\n${format.toUpperCase()}: Keel takes ${fmt(k.ms / b.ms, 2)}x the time of the COPY baseline`);
    if (k && c) console.log(`${format.toUpperCase()}: Keel takes ${fmt(k.ms / c.ms, 2)}x the time of the bare Node + pg exporter`);
  }

  if (opts['cpu-prof'] && existsSync(profDir)) {
    for (const f of readdirSync(profDir).filter((n) => n.endsWith('.cpuprofile'))) {
      console.log(`\n${summariseProfile(path.join(profDir, f), 25).text}`);
    }
    console.log(`\nprofiles kept in ${path.relative(process.cwd(), profDir)} (open in Chrome DevTools > Performance)`);
  }
});
