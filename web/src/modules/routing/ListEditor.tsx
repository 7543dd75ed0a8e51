import type { ReactNode } from 'react';
import { Button } from '../../ui/Button.js';

/** What an item's row may do to its own place in the list. */
export interface ListItemControls<T> {
  index: number;
  update: (patch: Partial<T>) => void;
  /** Swaps the item with the one before (-1) or after (+1). */
  move: (by: -1 | 1) => void;
  first: boolean;
  last: boolean;
}

/**
 * A list of drafts edited in place, saved together by the form around it: each item's fields
 * (`children`) and, for those who may edit, its actions and the button that removes it. Adding an
 * item is left to the form, whose buttons sit below the list.
 */
export function ListEditor<T>({
  ordered = false,
  className,
  items,
  onChange,
  canEdit,
  itemKey,
  itemProps,
  removeLabel,
  removeVariant = 'ghost',
  actions,
  children,
}: {
  /** An ordered list (`<ol>`) where the order matters, as with rules checked in turn. */
  ordered?: boolean;
  className: string;
  items: readonly T[];
  onChange: (items: T[]) => void;
  canEdit: boolean;
  itemKey: (item: T, index: number) => string | number;
  itemProps?: (item: T) => { className?: string } & Record<`data-${string}`, string>;
  removeLabel: (item: T) => string;
  removeVariant?: 'ghost' | 'danger-ghost';
  /** Actions shown before the remove button. */
  actions?: (item: T, controls: ListItemControls<T>) => ReactNode;
  children: (item: T, controls: ListItemControls<T>) => ReactNode;
}) {
  const List = ordered ? 'ol' : 'ul';
  const controls = (index: number): ListItemControls<T> => ({
    index,
    update: (patch) => onChange(items.map((x, j) => (j === index ? { ...x, ...patch } : x))),
    move: (by) => {
      const next = [...items];
      const a = next[index];
      const b = next[index + by];
      if (a === undefined || b === undefined) return;
      next[index] = b;
      next[index + by] = a;
      onChange(next);
    },
    first: index === 0,
    last: index === items.length - 1,
  });
  return (
    <List className={className}>
      {items.map((item, i) => {
        const c = controls(i);
        return (
          <li key={itemKey(item, i)} {...itemProps?.(item)}>
            {children(item, c)}
            {canEdit && (
              <div className="row-actions">
                {actions?.(item, c)}
                <Button
                  size="sm"
                  variant={removeVariant}
                  icon="trash"
                  aria-label={removeLabel(item)}
                  onClick={() => onChange(items.filter((_, j) => j !== i))}
                />
              </div>
            )}
          </li>
        );
      })}
    </List>
  );
}
