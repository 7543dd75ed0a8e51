import { getRouteApi, Link } from '@tanstack/react-router';
import type { DataQualitySearch } from '../../router.js';
import { useCan } from '../../lib/session.js';
import { PageHeader } from '../../ui/PageHeader.js';
import { Forbidden } from '../../ui/RouteStates.js';
import { DedupeSettingsPanel } from './DedupeSettingsPanel.js';
import { DuplicatesQueue } from './DuplicatesQueue.js';
import { MergeHistory } from './MergeHistory.js';
import { QualityOverview } from './QualityOverview.js';
import './data-quality.css';

const route = getRouteApi('/_app/data-quality');

type Tab = NonNullable<DataQualitySearch['tab']>;
const tabs: Array<{ id: Tab; label: string; permission: string }> = [
  { id: 'overview', label: 'Overview', permission: 'quality.read' },
  { id: 'duplicates', label: 'Duplicates', permission: 'dedupe.read' },
  { id: 'merges', label: 'Merge history', permission: 'dedupe.read' },
  { id: 'settings', label: 'Duplicate settings', permission: 'dedupe.read' },
];

/**
 * Data quality: the workspace's score, trend, problems and fill rates (Overview); the review queue
 * of likely duplicates with a full scan (Duplicates); merges with their undo (Merge history); and
 * how duplicates are found and merged (Duplicate settings). The tab, the object and the queue's
 * status are in the URL so a link opens the same view.
 */
export function DataQualityPage() {
  const can = useCan();
  const search = route.useSearch();
  const shown = tabs.filter((t) => can(t.permission));
  const first = shown[0];
  if (!first) return <Forbidden what="Data quality" />;
  const active = shown.find((t) => t.id === search.tab) ?? first;
  const object = search.object ?? 'contact';

  return (
    <div className="page dq-page">
      <PageHeader
        title="Data quality"
        description="How complete and valid your contacts are, what to fix first, and the records that look like the same person or company twice."
      />
      <nav className="tabs" aria-label="Data quality">
        {shown.map((t) => (
          <Link
            key={t.id}
            to="/data-quality"
            search={t.id === 'overview' ? {} : { tab: t.id, object: search.object }}
            className={`tab${t.id === active.id ? ' active' : ''}`}
            aria-current={t.id === active.id ? 'page' : undefined}
            activeOptions={{ exact: true }}
            activeProps={{}}
          >
            {t.label}
          </Link>
        ))}
      </nav>
      {active.id === 'overview' ? (
        <QualityOverview />
      ) : active.id === 'duplicates' ? (
        <DuplicatesQueue object={object} status={search.status ?? 'open'} />
      ) : active.id === 'merges' ? (
        <MergeHistory object={object} />
      ) : (
        <DedupeSettingsPanel object={object} />
      )}
    </div>
  );
}
