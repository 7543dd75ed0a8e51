import { getRouteApi, Link } from '@tanstack/react-router';
import type { RoutingSearch } from '../../router.js';
import { useCan } from '../../lib/session.js';
import { PageHeader } from '../../ui/PageHeader.js';
import { Forbidden } from '../../ui/RouteStates.js';
import { LifecycleEditor } from './LifecycleEditor.js';
import { ReportPanel } from './ReportPanel.js';
import { RepsEditor } from './RepsEditor.js';
import { RulesEditor } from './RulesEditor.js';
import { SalesQueue } from './SalesQueue.js';
import { SlaDashboard } from './SlaDashboard.js';
import './routing.css';

const route = getRouteApi('/_app/routing');

type Tab = NonNullable<RoutingSearch['tab']>;
const tabs: Array<{ id: Tab; label: string; permission: string }> = [
  { id: 'queue', label: 'Sales queue', permission: 'routing.read' },
  { id: 'sla', label: 'SLA dashboard', permission: 'routing.sla_read' },
  { id: 'report', label: 'Feedback report', permission: 'routing.report' },
  { id: 'rules', label: 'Routing rules', permission: 'routing.read' },
  { id: 'reps', label: 'Reps', permission: 'routing.read' },
  { id: 'lifecycle', label: 'Lifecycle', permission: 'lifecycle.read' },
];

/**
 * Lead routing: a rep's queue of leads to accept or reject (Sales queue), leads at risk of missing
 * their SLA (SLA dashboard), what reps did with their leads (Feedback report), and the rules and
 * reps that decide who gets which lead. The tab and the rep shown are in the URL.
 */
export function RoutingPage() {
  const can = useCan();
  const search = route.useSearch();
  const shown = tabs.filter((t) => can(t.permission));
  const first = shown[0];
  if (!first) return <Forbidden what="Lead routing" />;
  const active = shown.find((t) => t.id === search.tab) ?? first;

  return (
    <div className="page rt-page">
      <PageHeader
        title="Lead routing"
        description="Who gets each new lead and why, how fast reps respond, and what they say about the leads marketing sends them."
      />
      <nav className="tabs" aria-label="Lead routing">
        {shown.map((t) => (
          <Link
            key={t.id}
            to="/routing"
            search={t.id === 'queue' ? {} : { tab: t.id }}
            className={`tab${t.id === active.id ? ' active' : ''}`}
            aria-current={t.id === active.id ? 'page' : undefined}
            activeOptions={{ exact: true }}
            activeProps={{}}
          >
            {t.label}
          </Link>
        ))}
      </nav>
      {active.id === 'queue' ? (
        <SalesQueue rep={search.rep} />
      ) : active.id === 'sla' ? (
        <SlaDashboard />
      ) : active.id === 'report' ? (
        <ReportPanel />
      ) : active.id === 'rules' ? (
        <RulesEditor />
      ) : active.id === 'reps' ? (
        <RepsEditor />
      ) : (
        <LifecycleEditor />
      )}
    </div>
  );
}
