import { getRouteApi, linkOptions } from '@tanstack/react-router';
import type { RoutingSearch } from '../../router.js';
import { TabbedPage, type PageTab } from '../../ui/TabbedPage.js';
import { LifecycleEditor } from './LifecycleEditor.js';
import { ReportPanel } from './ReportPanel.js';
import { RoutingLog } from './RoutingLog.js';
import { RepsEditor } from './RepsEditor.js';
import { RulesEditor } from './RulesEditor.js';
import { SalesQueue } from './SalesQueue.js';
import { SlaDashboard } from './SlaDashboard.js';
import './routing.css';

const route = getRouteApi('/_app/routing');

type Tab = NonNullable<RoutingSearch['tab']>;
const tabs: Array<PageTab<Tab>> = [
  { id: 'queue', label: 'Sales queue', permission: 'routing.read' },
  { id: 'sla', label: 'SLA dashboard', permission: 'routing.sla_read' },
  { id: 'report', label: 'Feedback report', permission: 'routing.report' },
  { id: 'log', label: 'Routing log', permission: 'routing.read' },
  { id: 'rules', label: 'Routing rules', permission: 'routing.read' },
  { id: 'reps', label: 'Reps', permission: 'routing.read' },
  { id: 'lifecycle', label: 'Lifecycle', permission: 'lifecycle.read' },
];

/**
 * Lead routing: a rep's queue of leads to accept or reject (Sales queue), leads at risk of missing
 * their SLA (SLA dashboard), what reps did with their leads (Feedback report), and the rules and
 * reps that decide who gets which lead. The tab, the rep shown and the queue's scoring model are in the URL.
 */
export function RoutingPage() {
  const search = route.useSearch();
  return (
    <TabbedPage
      title="Lead routing"
      description="Who gets each new lead and why, how fast reps respond, and what they say about the leads marketing sends them."
      className="rt-page"
      tabs={tabs}
      current={search.tab}
      tabLink={(tab) => linkOptions({ to: '/routing', search: tab === 'queue' ? {} : { tab } })}
    >
      {(tab) =>
        tab === 'queue' ? (
          <SalesQueue rep={search.rep} model={search.model} />
        ) : tab === 'sla' ? (
          <SlaDashboard />
        ) : tab === 'report' ? (
          <ReportPanel />
        ) : tab === 'log' ? (
          <RoutingLog filters={{ rep: search.rep, kind: search.kind, from: search.from, to: search.to }} />
        ) : tab === 'rules' ? (
          <RulesEditor />
        ) : tab === 'reps' ? (
          <RepsEditor />
        ) : (
          <LifecycleEditor />
        )
      }
    </TabbedPage>
  );
}
