// Normalisation throughput: records/s on one core for contact values (phone, country, names, email facts).
//
//   npm run bench -- normalise [--records 200000] [--seed 1] [--rounds 5] [--quiet-wait 30]
//
// Generates --records realistic contact inputs with a seeded generator (phones written the ways
// people write them, with and without country prefix; countries as codes, English and local names;
// names in one case or mixed; free-mail, company and typo'd email domains) and runs them through
// normaliseRecordInput (what the API and the import call per record) in this process, on one
// thread, --rounds times; the table shows the median round. Baseline in the same run: the same
// loop doing only what any write path does anyway (copy the object, trim the strings). Each kind
// is also timed alone, to show where the time goes. Goal (issue "Data quality"): >= 100k records/s
// per core.
import { parseArgs } from 'node:util';
import { emailFacts, normaliseCountry, normaliseName, normalisePhone } from '../src/modules/quality/normalise.js';
import { normaliseRecordInput } from '../src/modules/quality/record-normalise.js';
import { fmt, machineBusyMs, machineInfo, machineStealMs, median, printMachine, runBenchmark, table, waitQuiet } from './lib/util.js';

const { values: opts } = parseArgs({
  options: {
    records: { type: 'string', default: '200000' },
    seed: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '5' },
    'quiet-wait': { type: 'string', default: '30' },
  },
});
const N = Number(opts.records);
const GOAL = 100_000;

function prng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 4294967296;
  };
}

const COUNTRIES: Array<[string, string[]]> = [
  ['US', ['US', 'USA', 'United States', 'united states', 'U.S.A.']],
  ['DE', ['DE', 'Germany', 'Deutschland', 'DEU']],
  ['GB', ['GB', 'UK', 'United Kingdom', 'England']],
  ['FR', ['FR', 'France', 'FRANCE']],
  ['ES', ['ES', 'Spain', 'España']],
  ['JP', ['JP', 'Japan', '日本']],
];
const PHONES: Record<string, Array<(r: () => number) => string>> = {
  US: [
    (r) => `(415) 555-0${String(100 + Math.floor(r() * 899))}`,
    (r) => `+1 212 555 0${String(100 + Math.floor(r() * 899))}`,
    (r) => `415.555.0${String(100 + Math.floor(r() * 899))}`,
  ],
  DE: [(r) => `030 ${String(1000000 + Math.floor(r() * 8999999))}`, (r) => `+49 89 ${String(100000 + Math.floor(r() * 899999))}`],
  GB: [(r) => `020 7946 0${String(100 + Math.floor(r() * 899))}`, (r) => `+44 20 7946 0${String(100 + Math.floor(r() * 899))}`],
  FR: [
    (r) =>
      `01 ${String(10 + Math.floor(r() * 89))} ${String(10 + Math.floor(r() * 89))} ${String(10 + Math.floor(r() * 89))} ${String(10 + Math.floor(r() * 89))}`,
  ],
  ES: [(r) => `+34 91 ${String(100 + Math.floor(r() * 899))} ${String(10 + Math.floor(r() * 89))} ${String(10 + Math.floor(r() * 89))}`],
  JP: [(r) => `03-${String(1000 + Math.floor(r() * 8999))}-${String(1000 + Math.floor(r() * 8999))}`],
};
const FIRST = ['anna', 'JOHN', 'Maria', 'josé', 'Li', 'o’neil', 'ANNE-MARIE', 'Élodie', 'Björn', '太郎'];
const LAST = ['SCHMIDT', 'smith', 'García', 'van der berg', 'McDonald', 'MÜLLER', 'Nguyen', '田中'];
const DOMAINS = ['gmail.com', 'gmial.com', 'yahoo.com', 'acme.example', 'hotmial.com', 'mailinator.com', 'outlook.com', 'globex.example'];

function records(seed: number): Array<Record<string, unknown>> {
  const r = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const out: Array<Record<string, unknown>> = [];
  for (let i = 0; i < N; i++) {
    const [code, names] = pick(COUNTRIES);
    out.push({
      email: `user${i}@${pick(DOMAINS)}`,
      firstName: pick(FIRST),
      lastName: pick(LAST),
      country: pick(names),
      phone: pick(PHONES[code] ?? [])(r),
    });
  }
  return out;
}

function timeRounds(rounds: number, fn: () => void): number {
  const ms: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
  }
  return median(ms);
}

runBenchmark(async () => {
  printMachine(machineInfo());
  const data = records(Number(opts.seed));
  const rounds = Number(opts.rounds);
  // Warm-up: load the country index and the JIT.
  for (let i = 0; i < 20_000; i++) normaliseRecordInput('contact', data[i % data.length] ?? {});
  await waitQuiet(Number(opts['quiet-wait']));
  const busy0 = machineBusyMs();
  const steal0 = machineStealMs();
  const wall0 = performance.now();
  let sink = 0;
  const baseline = timeRounds(rounds, () => {
    for (const x of data) {
      const o: Record<string, unknown> = { ...x };
      for (const k of Object.keys(o)) if (typeof o[k] === 'string') o[k] = (o[k] as string).trim();
      sink += Object.keys(o).length;
    }
  });
  const full = timeRounds(rounds, () => {
    for (const x of data) sink += Object.keys(normaliseRecordInput('contact', x).raw).length;
  });
  const parts: Array<[string, () => void]> = [
    ['phone (normalisePhone)', () => data.forEach((x) => (sink += normalisePhone(String(x.phone), 'US').value.length))],
    ['country (normaliseCountry)', () => data.forEach((x) => (sink += normaliseCountry(String(x.country)).value.length))],
    [
      'names (normaliseName x2)',
      () => data.forEach((x) => (sink += normaliseName(String(x.firstName)).value.length + normaliseName(String(x.lastName)).value.length)),
    ],
    ['email facts (emailFacts)', () => data.forEach((x) => (sink += emailFacts(String(x.email)).free ? 1 : 0))],
  ];
  const partMs = parts.map(([name, fn]) => [name, timeRounds(rounds, fn)] as const);
  const wall = performance.now() - wall0;
  const other = (machineBusyMs() - busy0 - wall) / wall;
  const steal = (machineStealMs() - steal0) / wall;
  const rate = (ms: number) => Math.round((N / ms) * 1000);
  console.log(`\n${N} records, median of ${rounds} rounds, one thread (sink ${sink % 10})\n`);
  console.log(
    table(
      ['what', 'ms per round', 'records/s', 'µs per record'],
      [
        ['**baseline**: copy + trim only', fmt(baseline, 1), String(rate(baseline)), fmt((baseline * 1000) / N, 2)],
        ['normaliseRecordInput (all of it)', fmt(full, 1), String(rate(full)), fmt((full * 1000) / N, 2)],
        ...partMs.map(([name, ms]) => [`  of which ${name}`, fmt(ms, 1), String(rate(ms)), fmt((ms * 1000) / N, 2)]),
      ],
    ),
  );
  console.log(
    `\ngoal >= ${GOAL} records/s per core: ${rate(full) >= GOAL ? 'met' : 'NOT met'} (${rate(full)});` +
      ` other load during the run ~${fmt(Math.max(0, other), 2)} cores, steal ${fmt(steal, 2)} cores`,
  );
});
