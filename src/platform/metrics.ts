import client from 'prom-client';

export interface Metrics {
  registry: client.Registry;
  httpDuration: client.Histogram<'method' | 'route' | 'status'>;
  jobsCompleted: client.Counter<'queue' | 'outcome'>;
  trackingEvents: client.Counter<'outcome'>;
}

/** One registry per app instance (tests build many apps in one process). */
export function createMetrics(): Metrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'keel_' });
  return {
    registry,
    httpDuration: new client.Histogram({
      name: 'keel_http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    jobsCompleted: new client.Counter({
      name: 'keel_jobs_processed_total',
      help: 'Background jobs processed by this process, by queue and outcome',
      labelNames: ['queue', 'outcome'],
      registers: [registry],
    }),
    trackingEvents: new client.Counter({
      name: 'keel_tracking_events_total',
      help: 'Tracking API events by outcome: stored, duplicate, bot, or the reason they were rejected',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };
}

/** Gauges read at scrape time: the database pool and the job queues. */
export function registerRuntimeGauges(
  metrics: Metrics,
  sources: {
    pool: { totalCount: number; idleCount: number; waitingCount: number };
    queueStats: () => Promise<Array<{ name: string; queued: number; active: number; failed: number }>>;
  },
): void {
  const { pool } = sources;
  new client.Gauge({
    name: 'keel_db_pool_connections',
    help: 'Database pool connections by state',
    labelNames: ['state'],
    registers: [metrics.registry],
    collect() {
      this.set({ state: 'total' }, pool.totalCount);
      this.set({ state: 'idle' }, pool.idleCount);
      this.set({ state: 'waiting' }, pool.waitingCount);
    },
  });
  new client.Gauge({
    name: 'keel_job_queue_depth',
    help: 'Jobs per queue and state (queued = waiting to run, including retries)',
    labelNames: ['queue', 'state'],
    registers: [metrics.registry],
    async collect() {
      try {
        for (const q of await sources.queueStats()) {
          this.set({ queue: q.name, state: 'queued' }, q.queued);
          this.set({ queue: q.name, state: 'active' }, q.active);
          this.set({ queue: q.name, state: 'failed' }, q.failed);
        }
      } catch {
        /* the database being down shows in /readyz; metrics still answer */
      }
    },
  });
}
