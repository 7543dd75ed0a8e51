import { getRouteApi, linkOptions } from '@tanstack/react-router';
import type { DataQualitySearch } from '../../router.js';
import { TabbedPage, type PageTab } from '../../ui/TabbedPage.js';
import { DedupeSettingsPanel } from './DedupeSettingsPanel.js';
import { DuplicatesQueue } from './DuplicatesQueue.js';
import { MergeHistory } from './MergeHistory.js';
import { QualityOverview } from './QualityOverview.js';
import { RetentionPanel } from './RetentionPanel.js';
import './data-quality.css';

const route = getRouteApi('/_app/data-quality');

type Tab = NonNullable<DataQualitySearch['tab']>;
const tabs: Array<PageTab<Tab>> = [
  { id: 'overview', label: 'Overview', permission: 'quality.read' },
  { id: 'duplicates', label: 'Duplicates', permission: 'dedupe.read' },
  { id: 'merges', label: 'Merge history', permission: 'dedupe.read' },
  { id: 'settings', label: 'Duplicate settings', permission: 'dedupe.read' },
  { id: 'retention', label: 'Retention', permission: 'quality.read' },
];

/**
 * Data quality: the workspace's score, trend, problems and fill rates (Overview); the review queue
 * of likely duplicates with a full scan (Duplicates); merges with their undo (Merge history); and
 * how duplicates are found and merged (Duplicate settings); how long each kind of data is kept and
 * what the daily retention runs deleted (Retention). The tab, the object and the queue's
 * status are in the URL so a link opens the same view.
 */
export function DataQualityPage() {
  const search = route.useSearch();
  const object = search.object ?? 'contact';
  return (
    <TabbedPage
      title="Data quality"
      description="How complete and valid your contacts are, what to fix first, the records that look like the same person or company twice, and how long data is kept."
      className="dq-page"
      tabs={tabs}
      current={search.tab}
      tabLink={(tab) => linkOptions({ to: '/data-quality', search: tab === 'overview' ? {} : { tab, object: search.object } })}
    >
      {(tab) =>
        tab === 'overview' ? (
          <QualityOverview />
        ) : tab === 'duplicates' ? (
          <DuplicatesQueue object={object} status={search.status ?? 'open'} />
        ) : tab === 'merges' ? (
          <MergeHistory object={object} />
        ) : tab === 'settings' ? (
          <DedupeSettingsPanel object={object} />
        ) : (
          <RetentionPanel />
        )
      }
    </TabbedPage>
  );
}
