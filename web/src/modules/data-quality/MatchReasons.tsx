import { formatWeight, levelWords, matchFieldLabel } from './dedupe-display.js';
import type { Reason } from './quality-queries.js';

/**
 * Why a pair looks like the same record: each compared field and how well it agreed, green where
 * it counted for a match and red where against (the weight, log2 m/u, on hover and for screen
 * readers). Fields one of the two lacks add nothing and are summed up in one grey chip.
 */
export function MatchReasons({ reasons }: { reasons: readonly Reason[] }) {
  const compared = reasons.filter((r) => r.level !== 'missing').sort((a, b) => b.weight - a.weight);
  const missing = reasons.filter((r) => r.level === 'missing');
  return (
    <ul className="dq-reasons" aria-label="Why">
      {compared.map((r) => {
        const tone = r.weight > 0.05 ? 'pos' : r.weight < -0.05 ? 'neg' : 'zero';
        const text = `${matchFieldLabel(r.field)} ${levelWords[r.level]}`;
        const weight = formatWeight(r.weight);
        return (
          <li
            key={r.field}
            className={`dq-reason dq-reason-${tone}`}
            title={`Weight ${weight}`}
            aria-label={`${text}, weight ${weight}`}
            data-field={r.field}
            data-level={r.level}
          >
            <span className="dq-reason-sign" aria-hidden="true">
              {tone === 'pos' ? '+' : tone === 'neg' ? '−' : '·'}
            </span>
            {text}
          </li>
        );
      })}
      {missing.length > 0 && (
        <li
          className="dq-reason dq-reason-missing"
          title={`Not compared (one record has no value): ${missing.map((r) => matchFieldLabel(r.field)).join(', ')}`}
          aria-label={`Not compared: ${missing.map((r) => matchFieldLabel(r.field)).join(', ')}`}
        >
          {missing.length} not compared
        </li>
      )}
    </ul>
  );
}
