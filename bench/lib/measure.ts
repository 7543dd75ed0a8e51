// Timing one step of an in-process benchmark (routing, scoring) with the machine's other load:
// wall time, this process's CPU, the CPU of the benchmark database's PostgreSQL backends, and what
// everyone else used meanwhile (machine busy minus ours) and the hypervisor's steal, in cores.
import { PgCpu } from './contacts-db.js';
import { fmt, machineBusyMs, machineStealMs } from './util.js';

export interface Measured<T> {
  result: T;
  wallMs: number;
  ownMs: number;
  pgMs: number;
  otherCores: number;
  stealCores: number;
}

export async function measured<T>(dbName: string, fn: () => Promise<T>): Promise<Measured<T>> {
  const pgCpu = new PgCpu(dbName);
  const poll = setInterval(() => pgCpu.poll(), 250);
  const busy0 = machineBusyMs();
  const steal0 = machineStealMs();
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  try {
    const result = await fn();
    const wallMs = performance.now() - t0;
    pgCpu.poll();
    const own = process.cpuUsage(own0);
    const ownMs = (own.user + own.system) / 1000;
    return {
      result,
      wallMs,
      ownMs,
      pgMs: pgCpu.ms,
      otherCores: Math.max(0, machineBusyMs() - busy0 - ownMs - pgCpu.ms) / wallMs,
      stealCores: (machineStealMs() - steal0) / wallMs,
    };
  } finally {
    clearInterval(poll);
  }
}

/** "other load 0.12 cores, steal 0.03 cores" */
export function disturbance(m: Pick<Measured<unknown>, 'otherCores' | 'stealCores'>): string {
  return `other load ${fmt(m.otherCores)} cores, steal ${fmt(m.stealCores)} cores`;
}
