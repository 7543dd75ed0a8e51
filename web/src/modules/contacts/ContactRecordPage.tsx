import { getRouteApi } from '@tanstack/react-router';
import { RecordDuplicates } from '../data-quality/RecordDuplicates.js';
import { ContactScores } from '../scoring/ContactScores.js';
import { AccountLink } from '../records/FieldValue.js';
import { contactKind, type CrmRecord } from '../records/record-kinds.js';
import { RecordPage } from '../records/RecordPage.js';

const route = getRouteApi('/_app/contacts/$id');

/** "Head of Growth at Initech · grace@initech.test": the line under a contact's name. */
function ContactHeadline({ record }: { record: CrmRecord }) {
  const title = typeof record.title === 'string' ? record.title : null;
  const company = typeof record.company === 'string' ? record.company : null;
  const email = typeof record.email === 'string' ? record.email : null;
  const accountId = typeof record.accountId === 'string' ? record.accountId : null;
  const at = accountId ? <AccountLink id={accountId} /> : company;
  return (
    <>
      {title && at ? (
        <>
          {title} at {at}
        </>
      ) : (
        (title ?? at)
      )}
      {(title || at) && email && <span className="record-headline-sep"> · </span>}
      {email && (
        <a href={`mailto:${email}`} className="record-link">
          {email}
        </a>
      )}
    </>
  );
}

export function ContactRecordPage() {
  const { id } = route.useParams();
  return (
    <RecordPage
      kind={contactKind}
      id={id}
      headline={(r) => <ContactHeadline record={r} />}
      aside={(r) =>
        r.deletedAt ? null : (
          <>
            <ContactScores key={`scores-${r.id}`} contactId={r.id} />
            <RecordDuplicates key={r.id} object="contact" id={r.id} />
          </>
        )
      }
    />
  );
}
