import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { api } from '../../lib/api.js';
import { formatDateTime, formatRelative } from '../../lib/format.js';
import { Button } from '../../ui/Button.js';
import { Icon } from '../../ui/Icon.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { ProgressBar } from '../../ui/ProgressBar.js';
import { objectNoun } from './dedupe-display.js';
import { scanQuery, scanSchema, scansQuery, type MatchObject, type ScanView } from './quality-queries.js';

/** What each phase of a full scan (detect.service.ts runScan) is doing, in words. */
const phaseWords: Record<string, string> = {
  queued: 'Waiting to start',
  keys: 'Reading records and their blocking keys',
  candidates: 'Finding candidate pairs',
  scoring: 'Scoring candidate pairs',
  done: 'Done',
};

const num = (v: unknown) => (typeof v === 'number' ? v : 0);

/** "Found 2 pairs among 9 contacts (4 candidates compared)". */
export function scanOutcome(scan: ScanView): string {
  const s = scan.stats;
  const pairs = num(s.pairs);
  const parts = [
    `${pairs.toLocaleString()} ${pairs === 1 ? 'pair' : 'pairs'} to review among ${num(s.records).toLocaleString()} ${objectNoun(scan.object, true)}`,
    `${num(s.candidates).toLocaleString()} candidate ${num(s.candidates) === 1 ? 'pair' : 'pairs'} compared`,
  ];
  if (num(s.autoMerged)) parts.push(`${num(s.autoMerged).toLocaleString()} merged automatically`);
  return parts.join(', ');
}

/**
 * "Run full scan" and the scan it starts, followed until it ends (phase, progress bar), then the
 * queue reloads. A scan already running when the screen opens is followed the same way. Keyed by
 * the object where it is used, so switching to accounts starts afresh.
 */
export function useFullScan(object: MatchObject) {
  const qc = useQueryClient();
  const scans = useQuery(scansQuery(object));
  const [startedId, setStartedId] = useState<string | null>(null);
  const latest = scans.data?.[0];
  const followId = startedId ?? (latest?.status === 'running' ? latest.id : null);
  const scan = useQuery({ ...scanQuery(followId ?? 'none'), enabled: followId !== null });
  const followed = followId && scan.data?.id === followId ? scan.data : null;

  const start = useMutation({
    mutationFn: () => api.post('/duplicates/scan', scanSchema, { object }),
    onSuccess: (s) => {
      qc.setQueryData(scanQuery(s.id).queryKey, s);
      setStartedId(s.id);
    },
    // A scan someone else started is running: follow that one instead.
    onError: () => void qc.invalidateQueries({ queryKey: ['duplicates', 'scans', object] }),
  });

  // When the followed scan ends, the queue, its counts and the scan list are read again.
  const ended = useRef<string | null>(null);
  useEffect(() => {
    if (!followed || followed.status === 'running' || ended.current === followed.id) return;
    ended.current = followed.id;
    void qc.invalidateQueries({ queryKey: ['duplicates'], predicate: (q) => q.queryKey[1] !== 'scan' });
  }, [followed, qc]);

  return { scans, latest, followed, start, running: followed?.status === 'running' || start.isPending };
}

export function ScanButton({ scan, variant = 'secondary' }: { scan: ReturnType<typeof useFullScan>; variant?: 'primary' | 'secondary' }) {
  return (
    <Button variant={variant} icon="refresh" busy={scan.running} onClick={() => scan.start.mutate()}>
      {scan.running ? 'Scanning…' : 'Run full scan'}
    </Button>
  );
}

/** The followed scan's progress, or how it ended; else when the last one ran. */
export function ScanStatus({ scan, object }: { scan: ReturnType<typeof useFullScan>; object: MatchObject }) {
  const s = scan.followed;
  const noun = objectNoun(object, true);
  if (scan.start.error) return <ProblemAlert error={scan.start.error} />;
  if (s?.status === 'running') {
    const determinate = s.phase === 'keys' || s.phase === 'scoring';
    return (
      <section className="card dq-scan" aria-label="Full scan" aria-live="polite" aria-busy="true">
        <div className="dq-scan-head">
          <Icon name="refresh" size={16} className="dq-spin" />
          <strong>Scanning all {noun}</strong>
          <span className="dq-scan-phase" data-testid="scan-phase">
            {phaseWords[s.phase] ?? s.phase}
          </span>
          {determinate && s.total > 0 && (
            <span className="muted">
              {s.done.toLocaleString()} of {s.total.toLocaleString()}
            </span>
          )}
        </div>
        <ProgressBar
          value={determinate ? s.done : 0}
          max={determinate ? Math.max(s.total, 1) : 1}
          label={`Full scan: ${phaseWords[s.phase] ?? s.phase}`}
        />
      </section>
    );
  }
  if (s?.status === 'failed') {
    return (
      <div className="alert alert-error" role="alert">
        <Icon name="alert" className="alert-icon" />
        <div>
          <p className="alert-title">The full scan failed</p>
          {s.error && <p className="alert-detail">{s.error}</p>}
        </div>
      </div>
    );
  }
  if (s?.status === 'done') {
    return (
      <div className="alert alert-success" role="status" data-testid="scan-result">
        <Icon name="check" className="alert-icon" />
        <div>
          <p className="alert-title">Scan finished</p>
          <p className="alert-detail">{scanOutcome(s)}.</p>
        </div>
      </div>
    );
  }
  const last = scan.latest;
  if (last?.status === 'done' && last.finishedAt) {
    return (
      <p className="dq-last-scan muted">
        Last full scan{' '}
        <time dateTime={last.finishedAt} title={formatDateTime(last.finishedAt)}>
          {formatRelative(last.finishedAt).toLowerCase()}
        </time>
        : {scanOutcome(last)}. New and changed {noun} are matched as they are saved.
      </p>
    );
  }
  return null;
}
