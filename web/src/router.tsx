import type { QueryClient } from '@tanstack/react-query';
import { createRootRouteWithContext, createRoute, createRouter, Outlet, redirect } from '@tanstack/react-router';
import { z } from 'zod';
import { objectNameSchema } from '../../src/modules/crm/field-types.js';
import { matchObjectSchema, pairStatusSchema } from '../../src/modules/dedupe/dedupe.schema.js';
import { messageTypes } from '../../src/modules/tracking/messages.schema.js';
import { routingLogKinds } from '../../src/modules/routing/routing.schema.js';
import { roleSchema } from '../../src/platform/permissions.js';
import { AccountPage } from './modules/account/AccountPage.js';
import { AccountRecordPage } from './modules/accounts/AccountRecordPage.js';
import { AccountsPage } from './modules/accounts/AccountsPage.js';
import { ApiKeysPage } from './modules/api-keys/ApiKeysPage.js';
import { AuditLogPage } from './modules/audit/AuditLogPage.js';
import { SetupPage } from './modules/auth/SetupPage.js';
import { SignInPage } from './modules/auth/SignInPage.js';
import { ContactRecordPage } from './modules/contacts/ContactRecordPage.js';
import { ContactsPage } from './modules/contacts/ContactsPage.js';
import { CustomFieldsPage } from './modules/custom-fields/CustomFieldsPage.js';
import { DataQualityPage } from './modules/data-quality/DataQualityPage.js';
import { MergePage } from './modules/data-quality/MergePage.js';
import { ImportPage } from './modules/import/ImportPage.js';
import { ImportsPage } from './modules/import/ImportsPage.js';
import { NewImportPage } from './modules/import/NewImportPage.js';
import { ListDetailPage } from './modules/lists/ListDetailPage.js';
import { ListsPage } from './modules/lists/ListsPage.js';
import { recordListSearch } from './modules/records/list-search.js';
import { RoutingPage } from './modules/routing/RoutingPage.js';
import { ScoringModelPage } from './modules/scoring/ScoringModelPage.js';
import { ScoringModelsPage } from './modules/scoring/ScoringModelsPage.js';
import { SegmentDetailPage } from './modules/segments/SegmentDetailPage.js';
import { EditSegmentPage, NewSegmentPage } from './modules/segments/SegmentEditPage.js';
import { SegmentsPage } from './modules/segments/SegmentsPage.js';
import { ChannelRulesPage } from './modules/tracking/ChannelRulesPage.js';
import { LiveEventsPage } from './modules/tracking/LiveEventsPage.js';
import { SourcesPage } from './modules/tracking/SourcesPage.js';
import { TrackingPlanPage } from './modules/tracking/TrackingPlanPage.js';
import { RolesPage } from './modules/users/RolesPage.js';
import { UsersPage } from './modules/users/UsersPage.js';
import { permissionsQuery, sessionQuery, setupStatusQuery } from './lib/session.js';
import { AppFrame } from './ui/AppFrame.js';
import { NotFound, RouteError } from './ui/RouteStates.js';

export interface RouterContext {
  queryClient: QueryClient;
}

const rootRoute = createRootRouteWithContext<RouterContext>()({
  component: Outlet,
  notFoundComponent: NotFound,
  errorComponent: RouteError,
});

const setupRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/setup',
  beforeLoad: async ({ context }) => {
    const setup = await context.queryClient.ensureQueryData(setupStatusQuery);
    if (!setup.needed) throw redirect({ to: '/sign-in' });
  },
  component: SetupPage,
});

const signInSearch = z.object({ redirect: z.string().optional().catch(undefined) });

const signInRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/sign-in',
  validateSearch: (s) => signInSearch.parse(s),
  beforeLoad: async ({ context }) => {
    const setup = await context.queryClient.ensureQueryData(setupStatusQuery);
    if (setup.needed) throw redirect({ to: '/setup' });
    const session = await context.queryClient.ensureQueryData(sessionQuery);
    if (session) throw redirect({ to: '/' });
  },
  component: SignInPage,
});

/** Everything inside the app frame needs a session; without one, sign in and come back. */
const appRoute = createRoute({
  getParentRoute: () => rootRoute,
  id: '_app',
  beforeLoad: async ({ context, location }) => {
    const setup = await context.queryClient.ensureQueryData(setupStatusQuery);
    if (setup.needed) throw redirect({ to: '/setup' });
    const session = await context.queryClient.ensureQueryData(sessionQuery);
    if (!session) {
      const back = location.href === '/' ? undefined : location.href;
      throw redirect({ to: '/sign-in', search: { redirect: back } });
    }
    await context.queryClient.ensureQueryData(permissionsQuery);
  },
  component: AppFrame,
});

const indexRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/',
  beforeLoad: () => {
    throw redirect({ to: '/users' });
  },
});

const usersSearch = z.object({
  q: z.string().max(200).optional().catch(undefined),
  role: roleSchema.optional().catch(undefined),
  status: z.enum(['active', 'disabled']).optional().catch(undefined),
});
export type UsersSearch = z.infer<typeof usersSearch>;

const usersRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/users',
  validateSearch: (s) => usersSearch.parse(s),
  component: UsersPage,
});

const rolesRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/users/roles',
  component: RolesPage,
});

const apiKeysSearch = z.object({ show: z.enum(['active', 'all']).optional().catch(undefined) });

const apiKeysRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/api-keys',
  validateSearch: (s) => apiKeysSearch.parse(s),
  component: ApiKeysPage,
});

const auditSearch = z.object({
  actor: z.string().max(200).optional().catch(undefined),
  entityType: z.string().max(100).optional().catch(undefined),
  action: z.string().max(100).optional().catch(undefined),
  from: z.iso.date().optional().catch(undefined),
  to: z.iso.date().optional().catch(undefined),
});
export type AuditSearch = z.infer<typeof auditSearch>;

const auditRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/audit',
  validateSearch: (s) => auditSearch.parse(s),
  component: AuditLogPage,
});

const contactsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/contacts',
  validateSearch: (s) => recordListSearch.parse(s),
  component: ContactsPage,
});

/** Which part of a contact's page is open: its history (the default), its tracked activity, its segments and lists, or its consent. */
const contactSearch = z.object({
  tab: z.enum(['timeline', 'activity', 'segments', 'lifecycle', 'consent', 'privacy']).optional().catch(undefined),
});
export type ContactSearch = z.infer<typeof contactSearch>;

const contactRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/contacts/$id',
  validateSearch: (s) => contactSearch.parse(s),
  component: ContactRecordPage,
});

const accountsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/accounts',
  validateSearch: (s) => recordListSearch.parse(s),
  component: AccountsPage,
});

const accountRecordRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/accounts/$id',
  component: AccountRecordPage,
});

const segmentsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/segments',
  component: SegmentsPage,
});

const newSegmentRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/segments/new',
  component: NewSegmentPage,
});

const segmentRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/segments/$id',
  component: SegmentDetailPage,
});

const editSegmentRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/segments/$id/edit',
  component: EditSegmentPage,
});

const listsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/lists',
  component: ListsPage,
});

const listRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/lists/$id',
  component: ListDetailPage,
});

/** Which records a screen is about; contacts when left out. */
const objectSearch = z.object({ object: objectNameSchema.optional().catch(undefined) });

const customFieldsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/settings/fields',
  validateSearch: (s) => objectSearch.parse(s),
  component: CustomFieldsPage,
});

const importsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/imports',
  component: ImportsPage,
});

const newImportRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/imports/new',
  validateSearch: (s) => objectSearch.parse(s),
  component: NewImportPage,
});

const importRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/imports/$id',
  component: ImportPage,
});

const sourcesRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/sources',
  component: SourcesPage,
});

/** The live debugger's filters, as GET /events takes them. */
const eventsSearch = z.object({
  sourceId: z.uuid().optional().catch(undefined),
  type: z.enum(messageTypes).optional().catch(undefined),
  event: z.string().max(500).optional().catch(undefined),
  user: z.string().max(500).optional().catch(undefined),
});
export type EventsSearch = z.infer<typeof eventsSearch>;

const eventsRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/events',
  validateSearch: (s) => eventsSearch.parse(s),
  component: LiveEventsPage,
});

/** The tracking plan: the lists, or one event's detail (`event`), or a new event to plan (`add`). */
const trackingPlanSearch = z.object({
  event: z.string().min(1).max(500).optional().catch(undefined),
  add: z.literal(true).optional().catch(undefined),
});
export type TrackingPlanSearch = z.infer<typeof trackingPlanSearch>;

const trackingPlanRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/tracking-plan',
  validateSearch: (s) => trackingPlanSearch.parse(s),
  component: TrackingPlanPage,
});

const channelRulesRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/channel-rules',
  component: ChannelRulesPage,
});

/** The Data quality screen: its tab, whose duplicates (contacts when left out), and the queue's status (open when left out). */
const dataQualitySearch = z.object({
  tab: z.enum(['overview', 'duplicates', 'merges', 'settings', 'retention']).optional().catch(undefined),
  object: matchObjectSchema.optional().catch(undefined),
  status: z
    .union([pairStatusSchema, z.literal('all')])
    .optional()
    .catch(undefined),
});
export type DataQualitySearch = z.infer<typeof dataQualitySearch>;

const dataQualityRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/data-quality',
  validateSearch: (s) => dataQualitySearch.parse(s),
  component: DataQualityPage,
});

/** The merge screen: which records (ids, comma-separated; the first survives unless changed there). */
const mergeSearch = z.object({
  object: matchObjectSchema.optional().catch(undefined),
  ids: z.string().max(1000).optional().catch(undefined),
});

const mergeRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/data-quality/merge',
  validateSearch: (s) => mergeSearch.parse(s),
  component: MergePage,
});

const scoringRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/scoring',
  component: ScoringModelsPage,
});

/** A scoring model: its tab (rules when left out). */
const scoringModelSearch = z.object({
  tab: z.enum(['what-if', 'evaluation', 'versions']).optional().catch(undefined),
});

const scoringModelRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/scoring/$id',
  validateSearch: (s) => scoringModelSearch.parse(s),
  component: ScoringModelPage,
});

/**
 * Lead routing: the tab (the sales queue when left out), for managers whose queue, the scoring
 * model whose scores the queue shows (left out: the workspace's default, its oldest published one),
 * and the routing log's filters.
 */
const routingSearch = z.object({
  tab: z.enum(['queue', 'sla', 'report', 'log', 'rules', 'reps', 'lifecycle']).optional().catch(undefined),
  rep: z.uuid().optional().catch(undefined),
  model: z.uuid().optional().catch(undefined),
  // The routing log's filters (its rep is `rep`): a kind, and a range of days.
  kind: z.enum(routingLogKinds).optional().catch(undefined),
  from: z.iso.date().optional().catch(undefined),
  to: z.iso.date().optional().catch(undefined),
});
export type RoutingSearch = z.infer<typeof routingSearch>;

const routingRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/routing',
  validateSearch: (s) => routingSearch.parse(s),
  component: RoutingPage,
});

const accountRoute = createRoute({
  getParentRoute: () => appRoute,
  path: '/account',
  component: AccountPage,
});

const routeTree = rootRoute.addChildren([
  setupRoute,
  signInRoute,
  appRoute.addChildren([
    indexRoute,
    usersRoute,
    rolesRoute,
    apiKeysRoute,
    auditRoute,
    accountRoute,
    contactsRoute,
    contactRoute,
    accountsRoute,
    accountRecordRoute,
    segmentsRoute,
    newSegmentRoute,
    segmentRoute,
    editSegmentRoute,
    listsRoute,
    listRoute,
    customFieldsRoute,
    importsRoute,
    newImportRoute,
    importRoute,
    sourcesRoute,
    eventsRoute,
    trackingPlanRoute,
    channelRulesRoute,
    dataQualityRoute,
    mergeRoute,
    routingRoute,
    scoringRoute,
    scoringModelRoute,
  ]),
]);

export function createAppRouter(queryClient: QueryClient) {
  return createRouter({
    routeTree,
    context: { queryClient },
    defaultPreload: false,
    scrollRestoration: true,
    defaultPendingMinMs: 0,
  });
}

declare module '@tanstack/react-router' {
  interface Register {
    router: ReturnType<typeof createAppRouter>;
  }
}
