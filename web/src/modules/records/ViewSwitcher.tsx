import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { SavedView } from '../../../../src/modules/crm/saved-views.js';
import { api } from '../../lib/api.js';
import { useCan, useSession } from '../../lib/session.js';
import { Badge } from '../../ui/Badge.js';
import { Button } from '../../ui/Button.js';
import { ConfirmDialog } from '../../ui/ConfirmDialog.js';
import { Dialog } from '../../ui/Dialog.js';
import { TextField } from '../../ui/Field.js';
import { Icon } from '../../ui/Icon.js';
import { Popover } from '../../ui/Popover.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { useToast } from '../../ui/Toast.js';
import type { RecordKind } from './record-kinds.js';
import { savedViewResponse, viewsQuery } from './record-queries.js';

export type ViewConfig = SavedView['config'];

/** Whether two list set-ups show the same thing (filter order and all). */
export function sameConfig(a: ViewConfig, b: ViewConfig): boolean {
  return JSON.stringify([a.columns, a.filter, a.q, a.sort]) === JSON.stringify([b.columns, b.filter, b.q, b.sort]);
}

type Pending = { kind: 'save' } | { kind: 'rename'; view: SavedView } | { kind: 'delete'; view: SavedView } | null;

/**
 * The saved-view menu: switch views, save the current columns, filters, search and sort as a new
 * view, save changes to the current one, rename or delete it.
 */
export function ViewSwitcher({
  kind,
  current,
  viewId,
  onApply,
}: {
  kind: RecordKind;
  /** The list's set-up as it is now. */
  current: ViewConfig;
  viewId: string | undefined;
  onApply: (view: SavedView | null) => void;
}) {
  const can = useCan();
  const { user } = useSession();
  const qc = useQueryClient();
  const toast = useToast();
  const views = useQuery(viewsQuery(kind.object));
  const [pending, setPending] = useState<Pending>(null);
  const active = views.data?.find((v) => v.id === viewId) ?? null;
  const modified = active ? !sameConfig(active.config, current) : false;
  const canWrite = can('views.write');
  const mayChange = (v: SavedView) => canWrite && (v.ownerId === user.id || user.role === 'admin' || user.role === 'mops_manager');

  const update = useMutation({
    mutationFn: (v: SavedView) => api.patch(`/views/${v.id}`, savedViewResponse, { config: current }),
    onSuccess: async (v) => {
      await qc.invalidateQueries({ queryKey: ['views', kind.object] });
      toast(`View “${v.name}” was updated`);
    },
    onError: () => toast('The view could not be saved. Try again.', 'info'),
  });

  const allLabel = `All ${kind.title.toLowerCase()}`;

  return (
    <>
      <Popover
        label={
          <span className="view-label">
            <span className="view-name">{active?.name ?? allLabel}</span>
            {modified && <span className="view-modified" title="Changed since it was saved" aria-hidden="true" />}
          </span>
        }
        title="Saved views"
        icon="bookmark"
        buttonLabel={`View: ${active?.name ?? allLabel}${modified ? ' (changed)' : ''}`}
        className="toolbar-popover view-switcher"
      >
        {(close) => (
          <div className="view-menu">
            <ul className="menu-list" aria-label="Views">
              <li>
                <button
                  type="button"
                  className={`menu-item${!active ? ' current' : ''}`}
                  aria-current={!active || undefined}
                  onClick={() => {
                    onApply(null);
                    close();
                  }}
                >
                  <span className="menu-item-label">{allLabel}</span>
                  {!active && <Icon name="check" size={15} />}
                </button>
              </li>
              {views.data?.map((v) => (
                <li key={v.id}>
                  <button
                    type="button"
                    className={`menu-item${v.id === active?.id ? ' current' : ''}`}
                    aria-current={v.id === active?.id || undefined}
                    onClick={() => {
                      onApply(v);
                      close();
                    }}
                  >
                    <span className="menu-item-label">{v.name}</span>
                    {!v.shared && <Badge>Only you</Badge>}
                    {v.id === active?.id && <Icon name="check" size={15} />}
                  </button>
                </li>
              ))}
              {views.isPending && <li className="menu-note">Loading views…</li>}
            </ul>
            {canWrite && (
              <div className="menu-actions">
                {active && modified && mayChange(active) && (
                  <Button
                    size="sm"
                    variant="primary"
                    busy={update.isPending}
                    onClick={() => {
                      update.mutate(active);
                      close();
                    }}
                  >
                    Save changes to “{active.name}”
                  </Button>
                )}
                <Button
                  size="sm"
                  icon="plus"
                  onClick={() => {
                    setPending({ kind: 'save' });
                    close();
                  }}
                >
                  Save as new view
                </Button>
                {active && mayChange(active) && (
                  <div className="menu-row">
                    <Button
                      size="sm"
                      variant="ghost"
                      onClick={() => {
                        setPending({ kind: 'rename', view: active });
                        close();
                      }}
                    >
                      Rename
                    </Button>
                    <Button
                      size="sm"
                      variant="danger-ghost"
                      onClick={() => {
                        setPending({ kind: 'delete', view: active });
                        close();
                      }}
                    >
                      Delete view
                    </Button>
                  </div>
                )}
              </div>
            )}
          </div>
        )}
      </Popover>
      {(pending?.kind === 'save' || pending?.kind === 'rename') && (
        <SaveViewDialog
          kind={kind}
          config={current}
          view={pending.kind === 'rename' ? pending.view : null}
          onClose={() => setPending(null)}
          onSaved={(v) => {
            if (pending.kind === 'save') onApply(v);
          }}
        />
      )}
      {pending?.kind === 'delete' && (
        <DeleteViewDialog
          kind={kind}
          view={pending.view}
          onClose={() => setPending(null)}
          onDeleted={() => {
            if (pending.view.id === viewId) onApply(null);
          }}
        />
      )}
    </>
  );
}

function SaveViewDialog({
  kind,
  config,
  view,
  onClose,
  onSaved,
}: {
  kind: RecordKind;
  config: ViewConfig;
  view: SavedView | null;
  onClose: () => void;
  onSaved: (v: SavedView) => void;
}) {
  const qc = useQueryClient();
  const toast = useToast();
  const [name, setName] = useState(view?.name ?? '');
  const [shared, setShared] = useState(view?.shared ?? true);
  const [error, setError] = useState<string | undefined>();
  const save = useMutation({
    mutationFn: () =>
      view
        ? api.patch(`/views/${view.id}`, savedViewResponse, { name: name.trim(), shared })
        : api.post('/views', savedViewResponse, { object: kind.object, name: name.trim(), config, shared }),
    onSuccess: async (v) => {
      await qc.invalidateQueries({ queryKey: ['views', kind.object] });
      toast(view ? `View renamed to “${v.name}”` : `View “${v.name}” was saved`);
      onSaved(v);
      onClose();
    },
  });
  const submit = () => {
    if (!name.trim()) {
      setError('Give the view a name');
      return;
    }
    save.mutate();
  };
  return (
    <Dialog
      title={view ? 'Rename view' : 'Save view'}
      description={view ? undefined : 'Keeps the columns, filters, search and sort shown now, to come back to in one click.'}
      busy={save.isPending}
      onClose={onClose}
      onSubmit={submit}
      footer={
        <>
          <Button onClick={onClose} disabled={save.isPending}>
            Cancel
          </Button>
          <Button type="submit" variant="primary" busy={save.isPending}>
            {view ? 'Rename view' : 'Save view'}
          </Button>
        </>
      }
    >
      <ProblemAlert error={save.error} />
      <TextField
        label="View name"
        value={name}
        maxLength={100}
        placeholder={`e.g. German ${kind.title.toLowerCase()}`}
        onChange={(v) => {
          setName(v);
          setError(undefined);
        }}
        error={error}
      />
      <label className="switch">
        <input type="checkbox" checked={shared} onChange={(e) => setShared(e.target.checked)} />
        <span className="switch-track" aria-hidden="true" />
        <span>Share with everyone in the workspace</span>
      </label>
    </Dialog>
  );
}

function DeleteViewDialog({
  kind,
  view,
  onClose,
  onDeleted,
}: {
  kind: RecordKind;
  view: SavedView;
  onClose: () => void;
  onDeleted: () => void;
}) {
  const qc = useQueryClient();
  const toast = useToast();
  const remove = useMutation({
    mutationFn: () => api.delete(`/views/${view.id}`),
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ['views', kind.object] });
      toast(`View “${view.name}” was deleted`);
      onDeleted();
      onClose();
    },
  });
  return (
    <ConfirmDialog
      title={`Delete the view “${view.name}”?`}
      confirmLabel="Delete view"
      busy={remove.isPending}
      error={remove.error}
      onConfirm={() => remove.mutate()}
      onClose={onClose}
    >
      <p>
        The view goes away for everyone it is shared with. No {kind.title.toLowerCase()} are deleted: only the saved columns, filters and
        sort.
      </p>
    </ConfirmDialog>
  );
}
