// Summarises a V8 .cpuprofile (from `node --cpu-prof`): where the samples went, by package and
// by function, self and inclusive. Used by `--cpu-prof` in the benchmarks.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fmt, root, table } from './util.js';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** node_modules package, `keel` for our compiled code, `node` for Node's own, or a V8 pseudo-frame. */
function owner(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  if (url.startsWith('node:')) return 'node';
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m?.[1]) return m[1];
  if (url.includes('/dist/src/')) return 'keel';
  return url.startsWith('file://') ? path.relative(root, url.slice(7)) : url;
}

function where(f: CallFrame): string {
  const file = f.url
    ? f.url
        .replace(/^file:\/\//, '')
        .replace(`${root}/`, '')
        .replace(/^.*node_modules\//, '')
    : '';
  return `${f.functionName || '(anonymous)'} ${file ? `${file}:${f.lineNumber + 1}` : ''}`.trim();
}

export interface ProfileSummary {
  totalMs: number;
  text: string;
}

export interface ProfileWindow {
  /** Only the samples in the first `untilMs` of the profile (e.g. up to the first 200). */
  untilMs?: number;
  /**
   * Only the samples inside these spans of the monotonic clock, in microseconds: the profile's
   * timestamps and `process.hrtime.bigint() / 1000n` in any process on the machine agree.
   */
  spansUs?: Array<[number, number]>;
}

export function summariseProfile(file: string, top = 15, window: ProfileWindow = {}): ProfileSummary {
  const prof = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const untilMs = window.untilMs ?? Infinity;
  const inSpan = (us: number) => !window.spansUs || window.spansUs.some(([a, b]) => us >= a && us <= b);
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of prof.nodes) {
    byId.set(n.id, n);
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const selfByNode = new Map<number, number>();
  let at = 0;
  prof.samples.forEach((id, i) => {
    const ms = (prof.timeDeltas[i] ?? 0) / 1000;
    at += ms;
    if (at <= untilMs && inSpan(prof.startTime + at * 1000)) selfByNode.set(id, (selfByNode.get(id) ?? 0) + ms);
  });

  let total = 0;
  let idle = 0;
  const byOwner = new Map<string, number>();
  const selfByFn = new Map<string, number>();
  const inclByFn = new Map<string, number>();
  for (const [id, ms] of selfByNode) {
    const n = byId.get(id);
    if (!n) continue;
    total += ms;
    if (n.callFrame.functionName === '(idle)') {
      idle += ms;
      continue;
    }
    const o = owner(n.callFrame.url, n.callFrame.functionName);
    byOwner.set(o, (byOwner.get(o) ?? 0) + ms);
    const key = where(n.callFrame);
    selfByFn.set(key, (selfByFn.get(key) ?? 0) + ms);
    // Inclusive: credit every distinct keel function on the stack once.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const f = byId.get(cur)?.callFrame;
      if (!f || !f.url.includes('/dist/src/')) continue;
      const k = where(f);
      if (seen.has(k)) continue;
      seen.add(k);
      inclByFn.set(k, (inclByFn.get(k) ?? 0) + ms);
    }
  }
  const busy = total - idle;
  const pct = (ms: number) => `${fmt((100 * ms) / busy, 1)}%`;
  const sorted = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  const text = [
    `profile ${path.relative(root, file)}${Number.isFinite(untilMs) ? ` (first ${fmt(untilMs, 0)} ms)` : ''}${window.spansUs ? ' (measured load only)' : ''}: ${fmt(total / 1000, 1)} s sampled, ${fmt(busy / 1000, 1)} s busy (percentages are of busy time)`,
    '',
    'self time by package:',
    table(
      ['package', 'ms', 'share'],
      sorted(byOwner).map(([k, v]) => [k, fmt(v, 0), pct(v)]),
    ),
    '',
    'self time by function:',
    table(
      ['function', 'ms', 'share'],
      sorted(selfByFn).map(([k, v]) => [k, fmt(v, 0), pct(v)]),
    ),
    '',
    'inclusive time of Keel functions:',
    table(
      ['function', 'ms', 'share'],
      sorted(inclByFn).map(([k, v]) => [k, fmt(v, 0), pct(v)]),
    ),
  ].join('\n');
  return { totalMs: total, text };
}
