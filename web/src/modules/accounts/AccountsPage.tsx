import { getRouteApi } from '@tanstack/react-router';
import { accountKind } from '../records/record-kinds.js';
import { RecordListPage } from '../records/RecordListPage.js';

const route = getRouteApi('/_app/accounts');

export function AccountsPage() {
  const search = route.useSearch();
  const navigate = route.useNavigate();
  return <RecordListPage kind={accountKind} search={search} setSearch={(update) => void navigate({ search: update, replace: true })} />;
}
