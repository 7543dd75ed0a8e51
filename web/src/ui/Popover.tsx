import { useCallback, useEffect, useId, useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import { Icon, type IconName } from './Icon.js';
import './controls.css';

export interface PopoverProps {
  /** The button's text. */
  label: ReactNode;
  /** The panel's accessible name ("Columns", "Add filter"). */
  title: string;
  icon?: IconName;
  variant?: 'secondary' | 'ghost';
  size?: 'sm' | 'md';
  /** Which edge of the button the panel lines up with. */
  align?: 'start' | 'end';
  /** Controlled open state; leave both out and the popover keeps its own. */
  open?: boolean;
  onOpenChange?: (open: boolean) => void;
  buttonLabel?: string;
  /** Replaces the button's look (a filter chip is a popover too). */
  buttonClassName?: string;
  className?: string;
  children: (close: () => void) => ReactNode;
}

/**
 * A button that opens a small non-modal panel below it (column picker, filter editor, view menu).
 * Escape or a click outside closes it and focus goes back to the button. The panel shifts left
 * if it would leave the window, so it works at phone width too.
 */
export function Popover({
  label,
  title,
  icon,
  variant = 'secondary',
  size = 'md',
  align = 'start',
  open: givenOpen,
  onOpenChange,
  buttonLabel,
  buttonClassName,
  className,
  children,
}: PopoverProps) {
  const [ownOpen, setOwnOpen] = useState(false);
  const open = givenOpen ?? ownOpen;
  const wrapRef = useRef<HTMLDivElement>(null);
  const panelRef = useRef<HTMLDivElement>(null);
  const buttonRef = useRef<HTMLButtonElement | null>(null);
  const panelId = useId();
  const [shift, setShift] = useState(0);

  const setOpen = useCallback(
    (o: boolean) => {
      if (givenOpen === undefined) setOwnOpen(o);
      onOpenChange?.(o);
    },
    [givenOpen, onOpenChange],
  );
  const close = useCallback(() => {
    setOpen(false);
    buttonRef.current?.focus();
  }, [setOpen]);

  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (wrapRef.current && e.target instanceof Node && !wrapRef.current.contains(e.target)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        e.stopPropagation();
        close();
      }
    };
    document.addEventListener('mousedown', onDown);
    const wrap = wrapRef.current;
    wrap?.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('mousedown', onDown);
      wrap?.removeEventListener('keydown', onKey);
    };
  }, [open, setOpen, close]);

  useLayoutEffect(() => {
    if (!open) {
      setShift(0);
      return;
    }
    const panel = panelRef.current;
    if (!panel) return;
    const rect = panel.getBoundingClientRect();
    const margin = 12;
    if (rect.right > window.innerWidth - margin) setShift(window.innerWidth - margin - rect.right);
    else if (rect.left < margin) setShift(margin - rect.left);
    const first = panel.querySelector<HTMLElement>('[data-autofocus], input, select, button, [tabindex]:not([tabindex="-1"])');
    first?.focus();
  }, [open]);

  return (
    <div className={`popover${className ? ` ${className}` : ''}`} ref={wrapRef}>
      <button
        ref={buttonRef}
        type="button"
        className={buttonClassName ?? `btn btn-${variant}${size === 'sm' ? ' btn-sm' : ''}`}
        aria-expanded={open}
        aria-controls={open ? panelId : undefined}
        aria-label={buttonLabel}
        onClick={() => setOpen(!open)}
      >
        {icon && <Icon name={icon} size={size === 'sm' ? 15 : 17} />}
        <span>{label}</span>
        {!buttonClassName && <Icon name="chevronDown" size={14} className="popover-caret" />}
      </button>
      {open && (
        <div
          ref={panelRef}
          id={panelId}
          className={`popover-panel popover-${align}`}
          role="dialog"
          aria-label={title}
          style={shift ? { transform: `translateX(${shift}px)` } : undefined}
        >
          {children(close)}
        </div>
      )}
    </div>
  );
}
