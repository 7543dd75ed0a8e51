import { Button } from '../../ui/Button.js';
import { Icon } from '../../ui/Icon.js';
import { Popover } from '../../ui/Popover.js';
import type { FieldCatalog, FieldInfo } from './fields.js';

/**
 * Which columns the table shows, in order: tick to add (at the end), untick to remove, arrows to
 * move. The name column is always first and is not listed.
 */
export function ColumnPicker({
  catalog,
  columns,
  onChange,
  onReset,
  isDefault,
}: {
  catalog: FieldCatalog;
  columns: readonly string[];
  onChange: (next: string[]) => void;
  onReset: () => void;
  isDefault: boolean;
}) {
  const shown = columns.map((k) => catalog.get(k)).filter((f): f is FieldInfo => Boolean(f));
  const hidden = catalog.all.filter((f) => !columns.includes(f.key));
  const move = (i: number, by: number) => {
    const next = [...columns];
    const [c] = next.splice(i, 1);
    if (c === undefined) return;
    next.splice(i + by, 0, c);
    onChange(next);
  };
  return (
    <Popover label="Columns" title="Columns" icon="columns" align="end" className="toolbar-popover">
      {() => (
        <div className="column-picker">
          <p className="popover-heading">Shown</p>
          <ul className="column-list">
            {shown.map((f, i) => (
              <li key={f.key} className="column-item">
                <label className="check-row">
                  <input type="checkbox" checked onChange={() => onChange(columns.filter((c) => c !== f.key))} />
                  <span>{f.label}</span>
                </label>
                <span className="column-move">
                  <button
                    type="button"
                    className="icon-btn icon-btn-sm"
                    aria-label={`Move ${f.label} left`}
                    disabled={i === 0}
                    onClick={() => move(i, -1)}
                  >
                    <Icon name="arrowUp" size={14} />
                  </button>
                  <button
                    type="button"
                    className="icon-btn icon-btn-sm"
                    aria-label={`Move ${f.label} right`}
                    disabled={i === shown.length - 1}
                    onClick={() => move(i, 1)}
                  >
                    <Icon name="arrowDown" size={14} />
                  </button>
                </span>
              </li>
            ))}
            {shown.length === 0 && <li className="muted column-empty">Only the name column</li>}
          </ul>
          {hidden.length > 0 && (
            <>
              <p className="popover-heading">More fields</p>
              <ul className="column-list">
                {hidden.map((f) => (
                  <li key={f.key} className="column-item">
                    <label className="check-row">
                      <input type="checkbox" checked={false} onChange={() => onChange([...columns, f.key])} />
                      <span>{f.label}</span>
                      {f.custom && <span className="column-tag">Custom</span>}
                    </label>
                  </li>
                ))}
              </ul>
            </>
          )}
          {!isDefault && (
            <div className="popover-actions">
              <Button size="sm" variant="ghost" onClick={onReset}>
                Reset to default columns
              </Button>
            </div>
          )}
        </div>
      )}
    </Popover>
  );
}
