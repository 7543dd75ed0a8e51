import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useState } from 'react';
import { api } from '../../lib/api.js';
import { useCan } from '../../lib/session.js';
import { useCursorList } from '../../lib/use-cursor-list.js';
import { Badge } from '../../ui/Badge.js';
import { Button } from '../../ui/Button.js';
import { Combobox, type ComboOption } from '../../ui/Combobox.js';
import { ConfirmDialog } from '../../ui/ConfirmDialog.js';
import { Dialog } from '../../ui/Dialog.js';
import { ErrorState } from '../../ui/EmptyState.js';
import { TextField } from '../../ui/Field.js';
import { LoadMore } from '../../ui/LoadMore.js';
import { ProblemAlert } from '../../ui/ProblemAlert.js';
import { SkeletonRows } from '../../ui/Spinner.js';
import { useToast } from '../../ui/Toast.js';
import { searchRecords } from '../records/FieldInput.js';
import { accountKind, contactKind, type CrmRecord } from '../records/record-kinds.js';
import { recordQuery, recordsPage } from '../records/record-queries.js';
import { RecordFormDialog } from '../records/RecordFormDialog.js';

type Pending = { kind: 'link' } | { kind: 'add' } | { kind: 'unlink'; contact: CrmRecord } | null;

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/**
 * An account's people: contacts whose primary account it is, and contacts linked to it besides
 * (an agency, a board member). Link, add and unlink from here.
 */
export function AccountContacts({ account }: { account: CrmRecord }) {
  const can = useCan();
  const [pending, setPending] = useState<Pending>(null);
  const params = { accountId: account.id, sort: 'firstName' };
  const list = useCursorList(['contacts', 'list', params], (cursor) =>
    api.get('/contacts', recordsPage(contactKind), { ...params, limit: 25, cursor }),
  );
  const deleted = Boolean(account.deletedAt);
  const canLink = can('accounts.write') && !deleted;

  return (
    <section className="card record-section account-contacts" aria-labelledby="account-contacts-title">
      <div className="record-section-head">
        <h2 className="record-section-title" id="account-contacts-title">
          Contacts
        </h2>
        <div className="record-section-actions">
          {canLink && (
            <Button size="sm" icon="link" onClick={() => setPending({ kind: 'link' })}>
              Link contact
            </Button>
          )}
          {can('contacts.write') && !deleted && (
            <Button size="sm" icon="plus" onClick={() => setPending({ kind: 'add' })}>
              Add contact
            </Button>
          )}
        </div>
      </div>
      {list.isError ? (
        <ErrorState error={list.error} onRetry={() => void list.refetch()} />
      ) : !list.isPending && list.items.length === 0 ? (
        <p className="muted record-section-empty">No contacts are linked to this account yet.</p>
      ) : (
        <div className="table-scroll">
          <table className="table compact-table" aria-label="Contacts of this account">
            <tbody>
              {list.isPending ? (
                <SkeletonRows rows={2} cols={3} />
              ) : (
                list.items.map((c) => {
                  const primary = c.accountId === account.id;
                  const name = contactKind.displayName(c);
                  return (
                    <tr key={c.id} data-contact-email={str(c.email)}>
                      <td>
                        <Link to="/contacts/$id" params={{ id: c.id }} className="cell-link">
                          <span className="cell-primary">{name}</span>
                        </Link>
                        <div className="cell-secondary">{[str(c.title), contactKind.subtitle(c)].filter(Boolean).join(' · ')}</div>
                      </td>
                      <td className="nowrap">{primary ? <Badge tone="accent">Primary account</Badge> : <Badge>Linked</Badge>}</td>
                      <td className="col-actions">
                        {(primary ? can('contacts.write') : canLink) && !deleted && (
                          <Button
                            size="sm"
                            variant="ghost"
                            aria-label={`Unlink ${name}`}
                            onClick={() => setPending({ kind: 'unlink', contact: c })}
                          >
                            Unlink
                          </Button>
                        )}
                      </td>
                    </tr>
                  );
                })
              )}
            </tbody>
          </table>
        </div>
      )}
      <LoadMore count={list.items.length} noun="contact" hasMore={list.hasMore} loading={list.isLoadingMore} onLoadMore={list.loadMore} />

      {pending?.kind === 'link' && <LinkContactDialog account={account} onClose={() => setPending(null)} />}
      {pending?.kind === 'add' && (
        <RecordFormDialog kind={contactKind} initial={{ accountId: account.id }} onClose={() => setPending(null)} />
      )}
      {pending?.kind === 'unlink' && <UnlinkDialog account={account} contact={pending.contact} onClose={() => setPending(null)} />}
    </section>
  );
}

/** Makes the account a contact's primary one (PATCH with If-Match), or links it besides. */
async function linkContact(account: CrmRecord, contactId: string, role: string, primary: boolean, fetchContact: () => Promise<CrmRecord>) {
  if (!primary) return api.postNoContent(`/accounts/${account.id}/contacts`, { contactId, role });
  const contact = await fetchContact();
  await api.patch(`/contacts/${contactId}`, contactKind.schema, { accountId: account.id }, { 'if-match': `"${contact.version}"` });
}

function LinkContactDialog({ account, onClose }: { account: CrmRecord; onClose: () => void }) {
  const qc = useQueryClient();
  const toast = useToast();
  const can = useCan();
  const [contact, setContact] = useState<ComboOption | null>(null);
  const [role, setRole] = useState('');
  const [primary, setPrimary] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const link = useMutation({
    mutationFn: (c: ComboOption) =>
      linkContact(account, c.id, role.trim(), primary, () => qc.fetchQuery({ ...recordQuery(contactKind, c.id), staleTime: 0 })),
    onSuccess: async () => {
      await Promise.all([qc.invalidateQueries({ queryKey: ['contacts'] }), qc.invalidateQueries({ queryKey: ['accounts'] })]);
      toast(`${contact?.label ?? 'The contact'} was linked to ${accountKind.displayName(account)}`);
      onClose();
    },
  });
  const submit = () => {
    if (!contact) {
      setError('Choose a contact');
      return;
    }
    link.mutate(contact);
  };
  return (
    <Dialog
      title={`Link a contact to ${accountKind.displayName(account)}`}
      busy={link.isPending}
      onClose={onClose}
      onSubmit={submit}
      footer={
        <>
          <Button onClick={onClose} disabled={link.isPending}>
            Cancel
          </Button>
          <Button type="submit" variant="primary" busy={link.isPending}>
            Link contact
          </Button>
        </>
      }
    >
      <ProblemAlert error={link.error} />
      <Combobox
        label="Contact"
        value={contact?.id ?? null}
        valueLabel={contact?.label ?? null}
        onChange={(o) => {
          setContact(o);
          setError(undefined);
        }}
        queryKey={['contacts', 'pick']}
        search={searchRecords(contactKind)}
        placeholder="Search by name or email"
        error={error}
      />
      <TextField
        label="Role at this account"
        value={role}
        onChange={setRole}
        maxLength={100}
        placeholder="e.g. Decision maker, Agency, Board member"
        hint="Optional."
        disabled={primary}
      />
      {can('contacts.write') && (
        <label className="switch">
          <input type="checkbox" checked={primary} onChange={(e) => setPrimary(e.target.checked)} />
          <span className="switch-track" aria-hidden="true" />
          <span>Make this their primary account</span>
        </label>
      )}
    </Dialog>
  );
}

function UnlinkDialog({ account, contact, onClose }: { account: CrmRecord; contact: CrmRecord; onClose: () => void }) {
  const qc = useQueryClient();
  const toast = useToast();
  const primary = contact.accountId === account.id;
  const name = contactKind.displayName(contact);
  const unlink = useMutation({
    mutationFn: async () => {
      if (primary)
        await api.patch(`/contacts/${contact.id}`, contactKind.schema, { accountId: null }, { 'if-match': `"${contact.version}"` });
      else await api.delete(`/accounts/${account.id}/contacts/${contact.id}`);
    },
    onSuccess: async () => {
      await Promise.all([qc.invalidateQueries({ queryKey: ['contacts'] }), qc.invalidateQueries({ queryKey: ['accounts'] })]);
      toast(`${name} was unlinked`);
      onClose();
    },
  });
  return (
    <ConfirmDialog
      title={`Unlink ${name}?`}
      confirmLabel="Unlink"
      tone="primary"
      busy={unlink.isPending}
      error={unlink.error}
      onConfirm={() => unlink.mutate()}
      onClose={onClose}
    >
      <p>
        {primary ? (
          <>
            <strong>{accountKind.displayName(account)}</strong> stops being {name}’s primary account.
          </>
        ) : (
          <>
            {name} is no longer linked to <strong>{accountKind.displayName(account)}</strong>.
          </>
        )}{' '}
        The contact itself is not changed otherwise.
      </p>
    </ConfirmDialog>
  );
}
