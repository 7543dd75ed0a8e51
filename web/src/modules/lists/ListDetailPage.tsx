import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { getRouteApi, Link, useNavigate } from '@tanstack/react-router';
import { useState } from 'react';
import { api, ApiError } from '../../lib/api.js';
import { formatDateTime, formatRelative } from '../../lib/format.js';
import { useCan } from '../../lib/session.js';
import { useCursorList } from '../../lib/use-cursor-list.js';
import { Button } from '../../ui/Button.js';
import { ConfirmDialog } from '../../ui/ConfirmDialog.js';
import { EmptyState, ErrorState } from '../../ui/EmptyState.js';
import { Icon } from '../../ui/Icon.js';
import { LoadMore } from '../../ui/LoadMore.js';
import { PageHeader } from '../../ui/PageHeader.js';
import { Forbidden } from '../../ui/RouteStates.js';
import { LoadingState, SkeletonRows } from '../../ui/Spinner.js';
import { useToast } from '../../ui/Toast.js';
import { contactKind, type CrmRecord } from '../records/record-kinds.js';
import { AddContacts } from './AddContacts.js';
import { ListFormDialog } from './ListFormDialog.js';
import { changeMembers, listMembersPageSchema, listQuery, type List } from './lists-queries.js';
import './lists.css';

const route = getRouteApi('/_app/lists/$id');
const PAGE_SIZE = 50;

export function ListDetailPage() {
  const can = useCan();
  const { id } = route.useParams();
  const list = useQuery(listQuery(id));
  if (!can('lists.read')) return <Forbidden what="Lists" />;
  if (list.isError) {
    const missing = list.error instanceof ApiError && (list.error.status === 404 || list.error.status === 400);
    return (
      <div className="page page-narrow">
        {missing ? (
          <EmptyState
            icon="search"
            title="This list does not exist"
            action={
              <Link to="/lists" className="btn btn-secondary">
                Back to lists
              </Link>
            }
          >
            It may have been deleted, or the link is mistyped.
          </EmptyState>
        ) : (
          <ErrorState error={list.error} onRetry={() => void list.refetch()} />
        )}
      </div>
    );
  }
  if (!list.data) return <LoadingState label="Loading the list…" />;
  return <ListDetail list={list.data} />;
}

function ListDetail({ list: l }: { list: List }) {
  const can = useCan();
  const canWrite = can('lists.write');
  const [pending, setPending] = useState<'edit' | 'delete' | null>(null);

  return (
    <div className="page lst-detail">
      <nav className="lst-crumbs" aria-label="Breadcrumb">
        <Link to="/lists">Lists</Link>
        <Icon name="chevronRight" size={14} />
      </nav>
      <PageHeader
        title={l.name}
        description={l.description || undefined}
        actions={
          canWrite && (
            <>
              <Button icon="edit" onClick={() => setPending('edit')}>
                Edit
              </Button>
              <Button variant="danger-ghost" icon="trash" onClick={() => setPending('delete')}>
                Delete
              </Button>
            </>
          )
        }
      />

      <div className="card lst-facts-card">
        <dl className="facts lst-facts">
          <div>
            <dt>Members</dt>
            <dd className="lst-fact-number" data-testid="list-members">
              {l.memberCount.toLocaleString()}
            </dd>
          </div>
          <div>
            <dt>Created</dt>
            <dd>
              <time dateTime={l.createdAt} title={formatDateTime(l.createdAt)}>
                {formatRelative(l.createdAt)}
              </time>
            </dd>
          </div>
          <div>
            <dt>Last changed</dt>
            <dd>
              <time dateTime={l.updatedAt} title={formatDateTime(l.updatedAt)}>
                {formatRelative(l.updatedAt)}
              </time>
            </dd>
          </div>
        </dl>
      </div>

      {canWrite && <AddContacts list={l} />}
      <MembersCard list={l} canWrite={canWrite} />

      {pending === 'edit' && <ListFormDialog list={l} onClose={() => setPending(null)} />}
      {pending === 'delete' && <DeleteListDialog list={l} onClose={() => setPending(null)} />}
    </div>
  );
}

function text(v: unknown) {
  return typeof v === 'string' && v ? v : <span className="muted">—</span>;
}

function MembersCard({ list: l, canWrite }: { list: List; canWrite: boolean }) {
  const qc = useQueryClient();
  const toast = useToast();
  const members = useCursorList(['lists', 'members', l.id], (cursor) =>
    api.get(`/lists/${l.id}/members`, listMembersPageSchema, { limit: PAGE_SIZE, cursor }),
  );
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [confirming, setConfirming] = useState(false);
  // Only rows still shown count: a removed or reloaded member drops out of the selection.
  const shownIds = new Set(members.items.map((m) => m.id));
  const picked = [...selected].filter((id) => shownIds.has(id));
  const allShown = members.items.length > 0 && picked.length === members.items.length;

  const toggle = (id: string) =>
    setSelected((s) => {
      const next = new Set(s);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  const toggleAll = () => setSelected(allShown ? new Set() : new Set(members.items.map((m) => m.id)));

  const remove = useMutation({
    mutationFn: (ids: string[]) => changeMembers(l.id, 'remove', { contactIds: ids }),
    onSuccess: async (r) => {
      setSelected(new Set());
      setConfirming(false);
      qc.setQueryData(listQuery(l.id).queryKey, (old: List | undefined) => (old ? { ...old, memberCount: r.memberCount } : old));
      await qc.invalidateQueries({ queryKey: ['lists'] });
      toast(`Removed ${r.removed.toLocaleString()} ${r.removed === 1 ? 'contact' : 'contacts'} from ${l.name}`);
    },
  });
  const pickedNames = members.items.filter((m) => picked.includes(m.id)).map((m) => contactKind.displayName(m));

  return (
    <section className="card lst-card table-card" aria-labelledby="lst-members-title">
      <header className="lst-card-head">
        <h2 className="lst-card-title" id="lst-members-title">
          Members
        </h2>
        {canWrite && picked.length > 0 ? (
          <div className="lst-selection" role="status">
            <span>{picked.length.toLocaleString()} selected</span>
            <Button size="sm" variant="ghost" onClick={() => setSelected(new Set())}>
              Clear
            </Button>
            <Button size="sm" variant="danger" icon="trash" onClick={() => setConfirming(true)}>
              Remove from list
            </Button>
          </div>
        ) : (
          canWrite && members.items.length > 0 && <span className="muted">Tick members to remove them from the list.</span>
        )}
      </header>
      {members.isError ? (
        <ErrorState error={members.error} onRetry={() => void members.refetch()} />
      ) : !members.isPending && members.items.length === 0 ? (
        <EmptyState icon="user" title="Nobody on this list yet">
          {canWrite ? 'Add contacts above: upload a file, paste emails or copy a segment’s members.' : 'No contact has been added to it.'}
        </EmptyState>
      ) : (
        <>
          <div className="table-scroll">
            <table
              className={`table lst-table${canWrite ? ' has-select' : ''}`}
              aria-label="Members"
              aria-busy={members.isPending || undefined}
            >
              <thead>
                <tr>
                  {canWrite && (
                    <th scope="col" className="col-select">
                      <input
                        type="checkbox"
                        aria-label="Select every member shown"
                        checked={allShown}
                        ref={(el) => {
                          if (el) el.indeterminate = picked.length > 0 && !allShown;
                        }}
                        onChange={toggleAll}
                        disabled={members.isPending}
                      />
                    </th>
                  )}
                  <th scope="col">Contact</th>
                  <th scope="col" className="hide-sm">
                    Email
                  </th>
                  <th scope="col" className="hide-sm">
                    Company
                  </th>
                  <th scope="col" className="hide-sm">
                    Country
                  </th>
                </tr>
              </thead>
              <tbody>
                {members.isPending ? (
                  <SkeletonRows cols={canWrite ? 5 : 4} rows={4} />
                ) : (
                  members.items.map((c) => (
                    <MemberRow key={c.id} contact={c} canWrite={canWrite} ticked={selected.has(c.id)} onToggle={() => toggle(c.id)} />
                  ))
                )}
              </tbody>
            </table>
          </div>
          <LoadMore
            count={members.items.length}
            noun="member"
            hasMore={members.hasMore}
            loading={members.isLoadingMore}
            onLoadMore={members.loadMore}
          />
        </>
      )}
      {confirming && (
        <ConfirmDialog
          title={
            picked.length === 1
              ? `Remove ${pickedNames[0] ?? 'this contact'} from ${l.name}?`
              : `Remove ${picked.length} contacts from ${l.name}?`
          }
          confirmLabel="Remove from list"
          busy={remove.isPending}
          error={remove.error}
          onConfirm={() => remove.mutate(picked)}
          onClose={() => {
            remove.reset();
            setConfirming(false);
          }}
        >
          <p>
            {picked.length === 1 ? 'The contact stays in Keel' : 'The contacts stay in Keel'}; only {picked.length === 1 ? 'its' : 'their'}{' '}
            membership of this list ends. Segments that test this list update on their own.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}

function MemberRow({
  contact: c,
  canWrite,
  ticked,
  onToggle,
}: {
  contact: CrmRecord;
  canWrite: boolean;
  ticked: boolean;
  onToggle: () => void;
}) {
  const name = contactKind.displayName(c);
  return (
    <tr data-contact-email={String(c.email ?? '')} className={ticked ? 'selected' : undefined}>
      {canWrite && (
        <td className="col-select">
          <input type="checkbox" aria-label={`Select ${name}`} checked={ticked} onChange={onToggle} />
        </td>
      )}
      <td className="cell-name">
        <Link to="/contacts/$id" params={{ id: c.id }} search={{ tab: undefined }} className="lst-name-link">
          {name}
        </Link>
        {typeof c.title === 'string' && c.title && <div className="cell-secondary">{c.title}</div>}
      </td>
      <td className="hide-sm">{text(c.email)}</td>
      <td className="hide-sm">{text(c.company)}</td>
      <td className="hide-sm">{text(c.country)}</td>
    </tr>
  );
}

function DeleteListDialog({ list, onClose }: { list: List; onClose: () => void }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const toast = useToast();
  const remove = useMutation({
    mutationFn: () => api.delete(`/lists/${list.id}`),
    onSuccess: async () => {
      qc.removeQueries({ queryKey: listQuery(list.id).queryKey });
      await qc.invalidateQueries({ queryKey: ['lists'] });
      toast(`${list.name} was deleted`);
      await navigate({ to: '/lists' });
    },
  });
  return (
    <ConfirmDialog
      title={`Delete ${list.name}?`}
      confirmLabel="Delete list"
      busy={remove.isPending}
      error={remove.error}
      onConfirm={() => remove.mutate()}
      onClose={onClose}
    >
      <p>
        The list and its {list.memberCount.toLocaleString()} {list.memberCount === 1 ? 'membership' : 'memberships'} are removed. Contacts
        themselves are not changed. A list that a segment tests cannot be deleted until the segment stops using it.
      </p>
    </ConfirmDialog>
  );
}
