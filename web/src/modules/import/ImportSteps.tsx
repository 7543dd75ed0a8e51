import { Icon } from '../../ui/Icon.js';

export type StepKey = 'upload' | 'map' | 'check' | 'run';

const steps: ReadonlyArray<{ key: StepKey; label: string }> = [
  { key: 'upload', label: 'Upload' },
  { key: 'map', label: 'Map columns' },
  { key: 'check', label: 'Dry run' },
  { key: 'run', label: 'Import' },
];

/** Where the import stands: the steps done, the current one, the ones to come. */
export function ImportSteps({ current, finished = false }: { current: StepKey; finished?: boolean }) {
  const at = steps.findIndex((s) => s.key === current);
  return (
    <ol className="imp-steps" aria-label="Import steps">
      {steps.map((s, i) => {
        const done = i < at || (finished && i === at);
        const state = done ? 'done' : i === at ? 'current' : 'todo';
        return (
          <li key={s.key} className={`imp-step imp-step-${state}`} aria-current={i === at ? 'step' : undefined}>
            <span className="imp-step-mark" aria-hidden="true">
              {done ? <Icon name="check" size={14} /> : i + 1}
            </span>
            <span className="imp-step-label">
              {s.label}
              {done && <span className="sr-only"> (done)</span>}
            </span>
          </li>
        );
      })}
    </ol>
  );
}
