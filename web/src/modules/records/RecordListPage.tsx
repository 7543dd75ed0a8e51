import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useEffect, useMemo, useState } from 'react';
import type { SavedView } from '../../../../src/modules/crm/saved-views.js';
import { api, ApiError } from '../../lib/api.js';
import { formatDateTime, formatRelative } from '../../lib/format.js';
import { useCan } from '../../lib/session.js';
import { useCursorList } from '../../lib/use-cursor-list.js';
import { useDebounced } from '../../lib/use-debounced.js';
import { Button } from '../../ui/Button.js';
import { EmptyState, ErrorState } from '../../ui/EmptyState.js';
import { Icon } from '../../ui/Icon.js';
import { LoadMore } from '../../ui/LoadMore.js';
import { PageHeader } from '../../ui/PageHeader.js';
import { SkeletonRows } from '../../ui/Spinner.js';
import { useToast } from '../../ui/Toast.js';
import { BulkBar, BulkDialog, type BulkAction, type BulkTarget } from './BulkActions.js';
import { ColumnPicker } from './ColumnPicker.js';
import { FieldValue } from './FieldValue.js';
import { isSortable, valueOf, type FieldInfo } from './fields.js';
import { AddFilter, FilterChips } from './FilterBuilder.js';
import { ImportLink } from './ImportLink.js';
import { DEFAULT_SORT, type Filter, type RecordListSearch, type SetListSearch } from './list-search.js';
import type { CrmRecord, RecordKind } from './record-kinds.js';
import { recordsPage, useFieldCatalog } from './record-queries.js';
import { RecordFormDialog } from './RecordFormDialog.js';
import './records.css';
import { ViewSwitcher, type ViewConfig } from './ViewSwitcher.js';

const PAGE_SIZE = 50;

type Pending = { kind: 'create' } | { kind: 'bulk'; action: BulkAction } | null;

const numeric = (f: FieldInfo) => f.kind === 'number' || f.kind === 'currency';

/** Numbers and dates read best biggest or newest first; text from A. */
function descFirst(f: FieldInfo | undefined): boolean {
  return Boolean(f && ['number', 'currency', 'date', 'datetime', 'timestamp'].includes(f.kind));
}

/**
 * The list of contacts or accounts: search, filters, sort, columns and saved views, all kept in the
 * URL; ticked rows get bulk actions; the trash lists deleted records for restoring.
 */
export function RecordListPage({ kind, search, setSearch }: { kind: RecordKind; search: RecordListSearch; setSearch: SetListSearch }) {
  const can = useCan();
  const toast = useToast();
  const qc = useQueryClient();
  const { catalog } = useFieldCatalog(kind);
  const [pending, setPending] = useState<Pending>(null);

  // The search box types freely; the URL follows a moment later. A view or the back button
  // changing the URL puts its text back in the box.
  const [text, setText] = useState(search.q ?? '');
  const q = useDebounced(text.trim(), 300);
  // Each effect runs only when its own side changes, reading the other side from this render.
  useEffect(() => {
    if ((search.q ?? '') !== q) setSearch((s) => ({ ...s, q: q || undefined }));
  }, [q]);
  useEffect(() => {
    if ((search.q ?? '') !== q) setText(search.q ?? '');
  }, [search.q]);

  const filters: Filter[] = useMemo(() => search.filter ?? [], [search.filter]);
  const sort = search.sort ?? DEFAULT_SORT;
  const sortKey = sort.replace(/^-/, '');
  const sortDesc = sort.startsWith('-');
  const trash = search.trash === true;
  const columnKeys = search.cols ?? kind.defaultColumns;
  const columns = columnKeys.map((k) => catalog.get(k)).filter((f): f is FieldInfo => Boolean(f));

  const params = {
    q: search.q || undefined,
    sort: search.sort,
    filter: filters.length ? JSON.stringify(filters) : undefined,
    deleted: trash ? 'only' : undefined,
  };
  const list = useCursorList([kind.plural, 'list', params], (cursor) =>
    api.get(`/${kind.plural}`, recordsPage(kind), { ...params, limit: PAGE_SIZE, cursor }),
  );

  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [allMatching, setAllMatching] = useState(false);
  const paramsKey = JSON.stringify(params);
  useEffect(() => {
    setSelected(new Set());
    setAllMatching(false);
  }, [paramsKey]);

  const canBulk = can(`${kind.plural}.bulk`);
  const canWrite = can(`${kind.plural}.write`);
  const canDelete = can(`${kind.plural}.delete`);
  const filtered = Boolean(search.q || filters.length);
  const current: ViewConfig = { columns: [...columnKeys], filter: filters, q: search.q ?? '', sort };

  const applyView = (v: SavedView | null) => {
    setSearch(() =>
      v
        ? {
            view: v.id,
            cols: v.config.columns.length ? v.config.columns : undefined,
            filter: v.config.filter.length ? v.config.filter : undefined,
            q: v.config.q || undefined,
            sort: v.config.sort === DEFAULT_SORT ? undefined : v.config.sort,
          }
        : {},
    );
  };
  const setFilters = (next: Filter[]) => setSearch((s) => ({ ...s, filter: next.length ? next : undefined }));
  const setSort = (key: string, f: FieldInfo | undefined) => {
    const next = key === sortKey ? (sortDesc ? key : `-${key}`) : descFirst(f) ? `-${key}` : key;
    setSearch((s) => ({ ...s, sort: next === DEFAULT_SORT ? undefined : next }));
  };
  const clearSearch = () => {
    setText('');
    setSearch((s) => ({ ...s, q: undefined, filter: undefined }));
  };

  const items = list.items;
  const allOnPage = items.length > 0 && items.every((r) => selected.has(r.id));
  const someOnPage = items.some((r) => selected.has(r.id));
  const toggle = (id: string) => {
    setAllMatching(false);
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  };
  const toggleAll = () => {
    setAllMatching(false);
    setSelected(allOnPage ? new Set() : new Set(items.map((r) => r.id)));
  };
  const target: BulkTarget = allMatching ? { filter: filters, q: search.q || undefined } : { ids: [...selected] };

  const restore = useMutation({
    mutationFn: (r: CrmRecord) => api.post(`/${kind.plural}/${r.id}/restore`, kind.schema),
    onSuccess: async (r) => {
      await qc.invalidateQueries({ queryKey: [kind.plural] });
      toast(`${kind.displayName(r)} was restored`);
    },
    onError: (err) => toast(err instanceof ApiError ? err.message : 'Could not restore. Try again.', 'info'),
  });

  const showSelect = canBulk && !(trash && !canDelete);
  const colCount = columns.length + 1 + (showSelect ? 1 : 0) + (trash ? 2 : 0);
  const noun = kind.title.toLowerCase();

  return (
    <div className="page page-wide">
      <PageHeader
        title={kind.title}
        description={kind.description}
        actions={
          !trash && (
            <>
              {can(`${kind.plural}.import`) && <ImportLink kind={kind} />}
              {canWrite && (
                <Button variant="primary" icon="plus" onClick={() => setPending({ kind: 'create' })}>
                  Add {kind.noun}
                </Button>
              )}
            </>
          )
        }
      />

      <div className="toolbar record-toolbar" role="search">
        {can('views.read') && <ViewSwitcher kind={kind} current={current} viewId={search.view} onApply={applyView} />}
        <div className="search-input">
          <Icon name="search" size={16} />
          <label className="sr-only" htmlFor={`${kind.plural}-q`}>
            Search {noun}
          </label>
          <input
            id={`${kind.plural}-q`}
            className="input"
            type="search"
            placeholder={kind.searchPlaceholder}
            value={text}
            onChange={(e) => setText(e.target.value)}
          />
        </div>
        <AddFilter catalog={catalog} onAdd={(f) => setFilters([...filters, f])} />
        <ColumnPicker
          catalog={catalog}
          columns={columnKeys}
          isDefault={!search.cols}
          onChange={(next) => setSearch((s) => ({ ...s, cols: next }))}
          onReset={() => setSearch((s) => ({ ...s, cols: undefined }))}
        />
        {canDelete && (
          <Button
            variant={trash ? 'primary' : 'ghost'}
            icon="trash"
            aria-pressed={trash}
            className="toolbar-end"
            onClick={() => setSearch((s) => ({ ...s, trash: trash ? undefined : true }))}
          >
            Trash
          </Button>
        )}
      </div>

      <FilterChips catalog={catalog} filters={filters} onChange={setFilters} onClear={() => setFilters([])} />

      {trash && (
        <div className="trash-banner" role="status">
          <Icon name="trash" size={16} />
          <span>
            <strong>Trash.</strong> Deleted {noun} stay here until you restore them; they are left out of lists, segments and sends.
          </span>
          <Button size="sm" variant="ghost" onClick={() => setSearch((s) => ({ ...s, trash: undefined }))}>
            Back to {noun}
          </Button>
        </div>
      )}

      {(selected.size > 0 || allMatching) && (
        <BulkBar
          kind={kind}
          count={selected.size}
          allMatching={allMatching}
          canSelectAll={allOnPage && list.hasMore}
          trash={trash}
          onSelectAll={() => setAllMatching(true)}
          onAction={(action) => setPending({ kind: 'bulk', action })}
          onClear={() => {
            setSelected(new Set());
            setAllMatching(false);
          }}
        />
      )}

      {list.isError ? (
        <div className="list-error">
          <ErrorState error={list.error} onRetry={() => void list.refetch()} />
          {(filtered || search.sort) && (
            <p className="list-error-reset">
              <Button size="sm" variant="ghost" onClick={() => applyView(null)}>
                Reset search, filters and sort
              </Button>
            </p>
          )}
        </div>
      ) : !list.isPending && items.length === 0 ? (
        trash ? (
          <EmptyState icon="trash" title="The trash is empty">
            {filtered ? `No deleted ${noun} match this search.` : `Deleted ${noun} appear here, ready to restore.`}
          </EmptyState>
        ) : filtered ? (
          <EmptyState
            icon="search"
            title={`No ${noun} match`}
            action={
              <Button onClick={clearSearch} icon="x">
                Clear search and filters
              </Button>
            }
          >
            Try fewer filters or another search.
          </EmptyState>
        ) : (
          <EmptyState
            icon={kind.object === 'contact' ? 'user' : 'building'}
            title={`No ${noun} yet`}
            action={
              (canWrite || can(`${kind.plural}.import`)) && (
                <div className="empty-actions">
                  {canWrite && (
                    <Button variant="primary" icon="plus" onClick={() => setPending({ kind: 'create' })}>
                      Add {kind.noun}
                    </Button>
                  )}
                  {can(`${kind.plural}.import`) && <ImportLink kind={kind} />}
                </div>
              )
            }
          >
            {kind.object === 'contact'
              ? 'Add people one at a time, or import a CSV exported from your CRM, a webinar tool or a spreadsheet.'
              : 'Add the companies you work with, or import them from a CSV. Contacts can then be linked to them.'}
          </EmptyState>
        )
      ) : (
        <div className="card table-card">
          <div className="table-scroll">
            <table
              className={`table record-table${showSelect ? ' has-select' : ''}`}
              aria-label={trash ? `Deleted ${noun}` : kind.title}
              aria-busy={list.isPending || list.isRefetching || undefined}
            >
              <thead>
                <tr>
                  {showSelect && (
                    <th scope="col" className="col-select">
                      <input
                        type="checkbox"
                        aria-label="Select all rows shown"
                        checked={allOnPage}
                        ref={(el) => {
                          if (el) el.indeterminate = someOnPage && !allOnPage;
                        }}
                        onChange={toggleAll}
                        disabled={items.length === 0}
                      />
                    </th>
                  )}
                  <SortHeader
                    label="Name"
                    active={sortKey === kind.nameSortKey}
                    desc={sortDesc}
                    className="col-name"
                    onSort={() => setSort(kind.nameSortKey, catalog.get(kind.nameSortKey))}
                  />
                  {trash && <th scope="col">Deleted</th>}
                  {trash && (
                    <th scope="col">
                      <span className="sr-only">Restore</span>
                    </th>
                  )}
                  {columns.map((f) =>
                    isSortable(f) ? (
                      <SortHeader
                        key={f.key}
                        label={f.label}
                        active={sortKey === f.key}
                        desc={sortDesc}
                        className={numeric(f) ? 'cell-number' : undefined}
                        onSort={() => setSort(f.key, f)}
                      />
                    ) : (
                      <th key={f.key} scope="col">
                        {f.label}
                      </th>
                    ),
                  )}
                </tr>
              </thead>
              <tbody>
                {list.isPending ? (
                  <SkeletonRows cols={colCount} />
                ) : (
                  items.map((r) => {
                    const name = kind.displayName(r);
                    const sub = kind.subtitle(r);
                    const ticked = allMatching || selected.has(r.id);
                    return (
                      <tr key={r.id} data-record-id={r.id} data-record-name={name} className={ticked ? 'selected' : undefined}>
                        {showSelect && (
                          <td className="col-select">
                            <input
                              type="checkbox"
                              aria-label={`Select ${name}`}
                              checked={ticked}
                              disabled={allMatching}
                              onChange={() => toggle(r.id)}
                            />
                          </td>
                        )}
                        <td className="col-name">
                          <Link to={kind.recordPath} params={{ id: r.id }} className="cell-link">
                            <span className="cell-primary">{name}</span>
                          </Link>
                          {sub && <div className="cell-secondary cell-truncate">{sub}</div>}
                        </td>
                        {trash && (
                          <td className="nowrap" title={formatDateTime(r.deletedAt)}>
                            {formatRelative(r.deletedAt)}
                          </td>
                        )}
                        {trash && (
                          <td className="col-restore">
                            {canDelete && (
                              <Button
                                size="sm"
                                variant="ghost"
                                icon="refresh"
                                aria-label={`Restore ${name}`}
                                busy={restore.isPending && restore.variables?.id === r.id}
                                onClick={() => restore.mutate(r)}
                              >
                                Restore
                              </Button>
                            )}
                          </td>
                        )}
                        {columns.map((f) => (
                          <td key={f.key} className={numeric(f) ? 'cell-number' : undefined}>
                            <span className="cell-value">
                              <FieldValue field={f} value={valueOf(r, f.key)} compact />
                            </span>
                          </td>
                        ))}
                      </tr>
                    );
                  })
                )}
              </tbody>
            </table>
          </div>
          <LoadMore count={items.length} noun={kind.noun} hasMore={list.hasMore} loading={list.isLoadingMore} onLoadMore={list.loadMore} />
        </div>
      )}

      {pending?.kind === 'create' && <RecordFormDialog kind={kind} onClose={() => setPending(null)} />}
      {pending?.kind === 'bulk' && (
        <BulkDialog
          kind={kind}
          catalog={catalog}
          action={pending.action}
          target={target}
          count={allMatching ? null : selected.size}
          onClose={() => setPending(null)}
          onFinished={() => {
            setSelected(new Set());
            setAllMatching(false);
          }}
        />
      )}
    </div>
  );
}

function SortHeader({
  label,
  active,
  desc,
  onSort,
  className,
}: {
  label: string;
  active: boolean;
  desc: boolean;
  onSort: () => void;
  className?: string;
}) {
  return (
    <th scope="col" className={className} aria-sort={active ? (desc ? 'descending' : 'ascending') : undefined}>
      <button type="button" className={`sort-button${active ? ' active' : ''}`} onClick={onSort}>
        <span>{label}</span>
        <Icon name={active ? (desc ? 'arrowDown' : 'arrowUp') : 'chevronDown'} size={13} className="sort-icon" />
      </button>
    </th>
  );
}
