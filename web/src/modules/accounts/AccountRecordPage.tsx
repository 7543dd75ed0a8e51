import { getRouteApi } from '@tanstack/react-router';
import { accountKind, type CrmRecord } from '../records/record-kinds.js';
import { RecordPage } from '../records/RecordPage.js';
import { AccountContacts } from './AccountContacts.js';

const route = getRouteApi('/_app/accounts/$id');

/** "example.com · Software": the line under an account's name. */
function AccountHeadline({ record }: { record: CrmRecord }) {
  const domain = typeof record.domain === 'string' ? record.domain : null;
  const industry = typeof record.industry === 'string' ? record.industry : null;
  return (
    <>
      {domain && (
        <a href={`https://${domain}`} className="record-link" target="_blank" rel="noopener noreferrer">
          {domain}
        </a>
      )}
      {domain && industry && <span className="record-headline-sep"> · </span>}
      {industry}
    </>
  );
}

export function AccountRecordPage() {
  const { id } = route.useParams();
  return (
    <RecordPage
      kind={accountKind}
      id={id}
      headline={(r) => <AccountHeadline record={r} />}
      aside={(r) => <AccountContacts key={r.id} account={r} />}
    />
  );
}
