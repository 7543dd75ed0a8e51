import { getRouteApi } from '@tanstack/react-router';
import { contactKind } from '../records/record-kinds.js';
import { RecordListPage } from '../records/RecordListPage.js';

const route = getRouteApi('/_app/contacts');

export function ContactsPage() {
  const search = route.useSearch();
  const navigate = route.useNavigate();
  return <RecordListPage kind={contactKind} search={search} setSearch={(update) => void navigate({ search: update, replace: true })} />;
}
