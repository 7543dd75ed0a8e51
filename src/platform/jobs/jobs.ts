import PgBoss from 'pg-boss';
import type { z } from 'zod';
import type { Clock } from '../clock.js';
import { rawQuery, type DatabaseHandle, type Db, type DbOrTx } from '../db/database.js';
import { AppError } from '../errors.js';
import { newId } from '../ids.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';

export interface JobContext {
  db: Db;
  clock: Clock;
  logger: Logger;
  jobs: Jobs;
}

export interface JobDefinition<T> {
  /** Queue name: `<module>.<verb>`, e.g. `platform.sessions-cleanup`. */
  name: string;
  schema: z.ZodType<T>;
  handler: (ctx: JobContext, data: T, job: { id: string; retryCount: number }) => Promise<void>;
  retryLimit?: number;
  retryDelaySeconds?: number;
  /** Exponential backoff between retries (pg-boss retryBackoff). Default true. */
  retryBackoff?: boolean;
  expireInSeconds?: number;
  /** Cron expression (UTC) to run this job on a schedule, with `{}` as data. */
  cron?: string;
  concurrency?: number;
}

/**
 * Work that polls rather than waits for a message: run by every worker process, again and again,
 * `intervalMs` after each run ends (at once when the run says there may be more). The handler must
 * be safe to run in several processes at the same time (e.g. `for update skip locked`).
 */
export interface LoopDefinition {
  /** `<module>.<noun>`, e.g. `segments.queue`. */
  name: string;
  intervalMs: number;
  /**
   * Returns true when it stopped with work left, to run again without waiting. `stop` is aborted
   * when the process shuts down: a handler doing several passes checks it between them.
   */
  handler: (ctx: JobContext, stop: AbortSignal) => Promise<boolean>;
}

export interface EnqueueOptions {
  /** Same key on the same queue -> the first job's id; the work runs once. */
  idempotencyKey?: string;
  startAfter?: Date | number;
  /** Enqueue inside this transaction: the job exists only if the transaction commits. */
  tx?: DbOrTx;
}

export interface QueueStats {
  name: string;
  deadLetter: string | null;
  queued: number;
  active: number;
  failed: number;
  completed: number;
  total: number;
}

// pg-boss's own schema: created and migrated by pg-boss itself on start.
const SCHEMA = 'pgboss';
/** The tables pg-boss keeps job payloads in (queued and running, then archived), for erasure. */
export const JOB_PAYLOAD_TABLES = [`${SCHEMA}.job`, `${SCHEMA}.archive`] as const;
const START_LOCK = 7_411_020_033;

/**
 * Background jobs in PostgreSQL via pg-boss 10, on both back ends: pg-boss talks to the database
 * only through our executeSql, i.e. through the same single access path as everything else.
 * Each queue gets a dead-letter queue `<name>.dead` that failed jobs land in after their retries.
 */
export class Jobs {
  private readonly boss: PgBoss;
  private readonly defs = new Map<string, JobDefinition<unknown>>();
  private readonly loopDefs = new Map<string, LoopDefinition>();
  private readonly running: Promise<void>[] = [];
  private readonly wake = new Set<() => void>();
  private loopStop = new AbortController();
  private started = false;
  private working = false;

  constructor(
    private readonly handle: DatabaseHandle,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly metrics?: Metrics,
  ) {
    this.boss = new PgBoss({
      db: { executeSql: (text: string, values?: unknown[]) => handle.executeSql(text, values) },
      schema: SCHEMA,
      // Maintenance and cron scheduling run in whichever processes start workers.
      supervise: true,
      schedule: true,
      migrate: true,
    });
    this.boss.on('error', (err: Error) => this.logger.error({ err }, 'job queue error'));
  }

  define<T>(def: JobDefinition<T>): void {
    if (this.defs.has(def.name)) throw new Error(`Job ${def.name} is defined twice`);
    this.defs.set(def.name, def as JobDefinition<unknown>);
  }

  defineLoop(def: LoopDefinition): void {
    if (this.loopDefs.has(def.name)) throw new Error(`Loop ${def.name} is defined twice`);
    this.loopDefs.set(def.name, def);
  }

  definitions(): string[] {
    return [...this.defs.keys()];
  }

  private async runLoop(def: LoopDefinition): Promise<void> {
    const log = this.logger.child({ loop: def.name });
    const ctx: JobContext = { db: this.handle.db, clock: this.clock, logger: log, jobs: this };
    while (this.working) {
      let more = false;
      try {
        more = await def.handler(ctx, this.loopStop.signal);
      } catch (err) {
        log.warn({ err }, 'loop run failed; it runs again after its interval');
      }
      if (!this.working) break;
      if (!more) {
        await new Promise<void>((resolve) => {
          const wakers = this.wake;
          const timer = setTimeout(done, def.intervalMs);
          function done() {
            clearTimeout(timer);
            wakers.delete(done);
            resolve();
          }
          wakers.add(done);
        });
      }
    }
  }

  /** Creates the queues; with `worker`, also starts working them and their cron schedules. */
  async start(opts: { worker: boolean }): Promise<void> {
    if (!this.started) {
      await this.underStartLock(async () => {
        await this.boss.start();
        for (const def of this.defs.values()) {
          const dead = `${def.name}.dead`;
          await this.ensureQueue(dead, { retryLimit: 0 });
          await this.ensureQueue(def.name, {
            retryLimit: def.retryLimit ?? 5,
            retryDelay: def.retryDelaySeconds ?? 5,
            retryBackoff: def.retryBackoff ?? true,
            expireInSeconds: def.expireInSeconds ?? 15 * 60,
            deadLetter: dead,
          });
        }
      });
      this.started = true;
    }
    if (opts.worker && !this.working) {
      this.working = true;
      for (const def of this.defs.values()) {
        const ctx: JobContext = { db: this.handle.db, clock: this.clock, logger: this.logger, jobs: this };
        await this.boss.work(def.name, { batchSize: 1, pollingIntervalSeconds: 1 }, async (jobs: PgBoss.Job<unknown>[]) => {
          for (const job of jobs) {
            const data = def.schema.parse(job.data);
            const log = this.logger.child({ job: def.name, jobId: job.id });
            try {
              await def.handler({ ...ctx, logger: log }, data, {
                id: job.id,
                retryCount: (job as { retryCount?: number }).retryCount ?? 0,
              });
              this.metrics?.jobsCompleted.inc({ queue: def.name, outcome: 'completed' });
            } catch (err) {
              this.metrics?.jobsCompleted.inc({ queue: def.name, outcome: 'failed' });
              log.warn({ err }, 'job failed; pg-boss retries it with backoff, then dead-letters it');
              throw err;
            }
          }
        });
        if (def.cron) await this.boss.schedule(def.name, def.cron, {}, { tz: 'UTC' });
      }
      this.loopStop = new AbortController();
      for (const def of this.loopDefs.values()) this.running.push(this.runLoop(def));
    }
  }

  /**
   * Processes starting together on one PostgreSQL would deadlock creating the same queues
   * (measured: two `keel serve` at once). A session advisory lock, held on a connection of its
   * own, lets one set up at a time. The embedded database has one process and one connection.
   */
  private async underStartLock(fn: () => Promise<void>): Promise<void> {
    if (this.handle.kind === 'embedded') return fn();
    const client = await this.handle.pool.connect();
    try {
      await client.query('select pg_advisory_lock($1)', [START_LOCK]);
      try {
        await fn();
      } finally {
        await client.query('select pg_advisory_unlock($1)', [START_LOCK]);
      }
    } finally {
      client.release();
    }
  }

  private async ensureQueue(name: string, opts: Omit<PgBoss.Queue, 'name'>): Promise<void> {
    const existing = await this.boss.getQueue(name);
    if (existing) await this.boss.updateQueue(name, { name, ...opts });
    else await this.boss.createQueue(name, { name, ...opts });
  }

  async enqueue<T>(name: string, data: T, opts: EnqueueOptions = {}): Promise<string> {
    const def = this.defs.get(name);
    if (!def) throw new AppError('not_found', `No job named ${name}`);
    const parsed = def.schema.parse(data);
    const send = async (db: DbOrTx): Promise<string> => {
      const id = newId();
      if (opts.idempotencyKey) {
        const claimed = await rawQuery(
          db,
          'insert into job_keys (queue, key, job_id) values ($1, $2, $3) on conflict do nothing returning job_id',
          [name, opts.idempotencyKey, id],
        );
        if (claimed.rows.length === 0) {
          const prev = await rawQuery(db, 'select job_id from job_keys where queue = $1 and key = $2', [name, opts.idempotencyKey]);
          return String(prev.rows[0]?.job_id);
        }
      }
      const sent = await this.boss.send(name, parsed as object, {
        id,
        ...(opts.startAfter !== undefined && {
          startAfter: typeof opts.startAfter === 'number' ? opts.startAfter : opts.startAfter.toISOString(),
        }),
        db: { executeSql: (text: string, values?: unknown[]) => rawQuery(db, text, values) },
      });
      return sent ?? id;
    };
    if (opts.tx) return send(opts.tx);
    return this.handle.db.transaction().execute((trx) => send(trx));
  }

  async getJob(name: string, id: string): Promise<PgBoss.JobWithMetadata | null> {
    return this.boss.getJobById(name, id, { includeArchive: true });
  }

  /** Counts per queue and state, read from pg-boss's job table (its API has no such call in v10). */
  async stats(): Promise<QueueStats[]> {
    if (!this.started) return [];
    const queues = await this.boss.getQueues();
    const { rows } = await this.handle.executeSql(`select name, state::text as state, count(*)::int as n from ${SCHEMA}.job group by 1, 2`);
    const counts = new Map<string, Record<string, number>>();
    for (const r of rows) {
      const byState = counts.get(String(r.name)) ?? {};
      byState[String(r.state)] = Number(r.n);
      counts.set(String(r.name), byState);
    }
    return queues
      .map((q) => {
        const c = counts.get(q.name) ?? {};
        const n = (k: string) => c[k] ?? 0;
        return {
          name: q.name,
          deadLetter: q.deadLetter ?? null,
          queued: n('created') + n('retry'),
          active: n('active'),
          failed: n('failed'),
          completed: n('completed'),
          total: Object.values(c).reduce((a, b) => a + b, 0),
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Graceful: stops fetching, waits for in-flight handlers (up to `timeoutMs`), then stops. */
  async stop(timeoutMs = 20_000): Promise<void> {
    if (!this.started) return;
    if (this.working) {
      this.working = false;
      this.loopStop.abort();
      for (const w of [...this.wake]) w();
      await Promise.all(this.running.splice(0));
    }
    await this.boss.stop({ graceful: true, wait: true, timeout: timeoutMs });
    this.started = false;
    this.working = false;
  }
}
