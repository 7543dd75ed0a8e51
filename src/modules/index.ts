import type { FastifyInstance } from 'fastify';
import { auditRoutes } from '../platform/audit/audit.routes.js';
import '../platform/audit/audit.policy.js';
import { healthRoutes } from '../platform/http/health.routes.js';
import type { Jobs } from '../platform/jobs/jobs.js';
import { apiKeysRoutes } from './api-keys/api-keys.routes.js';
import './api-keys/api-keys.policy.js';
import { authRoutes } from './auth/auth.routes.js';
import './auth/auth.policy.js';
import { authJobs } from './auth/auth.jobs.js';
import { crmRoutes } from './crm/crm.routes.js';
import './crm/crm.policy.js';
import { crmJobs } from './crm/crm.jobs.js';
import { importsRoutes } from './imports/imports.routes.js';
import { importsJobs } from './imports/imports.jobs.js';
import type { Config } from '../platform/config.js';
import { snippetRoutes } from './tracking/snippet.routes.js';
import { trackingRoutes } from './tracking/tracking.routes.js';
import './tracking/tracking.policy.js';
import { trackingJobs } from './tracking/tracking.jobs.js';
import { segmentsRoutes } from './segments/segments.routes.js';
import './segments/segments.policy.js';
import { segmentsJobs } from './segments/segments.jobs.js';
import { consentRoutes } from './consent/consent.routes.js';
import './consent/consent.policy.js';
import './consent/consent.segments.js';
import { privacyRoutes } from './privacy/privacy.routes.js';
import './privacy/privacy.policy.js';
import { enrichmentRoutes } from './enrichment/enrichment.routes.js';
import './enrichment/enrichment.policy.js';
import { qualityRoutes } from './quality/quality.routes.js';
import './quality/quality.policy.js';
import { qualityJobs } from './quality/quality.jobs.js';
import { dedupeRoutes } from './dedupe/dedupe.routes.js';
import './dedupe/dedupe.policy.js';
import { dedupeJobs } from './dedupe/dedupe.jobs.js';
import { scoringRoutes } from './scoring/scoring.routes.js';
import './scoring/scoring.policy.js';
import { scoringJobs } from './scoring/scoring.jobs.js';
import { lifecycleRoutes } from './routing/lifecycle.routes.js';
import { routingRoutes } from './routing/routing.routes.js';
import './routing/routing.policy.js';
import { routingJobs } from './routing/routing.jobs.js';
import { usersRoutes } from './users/users.routes.js';
import './users/users.policy.js';
import { workspacesRoutes } from './workspaces/workspaces.routes.js';
import './workspaces/workspaces.policy.js';

/** Every module's routes. A new module adds one line here (and its policy import). */
export async function registerModules(app: FastifyInstance): Promise<void> {
  await app.register(healthRoutes);
  await app.register(authRoutes);
  await app.register(workspacesRoutes);
  await app.register(usersRoutes);
  await app.register(apiKeysRoutes);
  await app.register(auditRoutes);
  await app.register(crmRoutes);
  await app.register(importsRoutes);
  await app.register(snippetRoutes); // before trackingRoutes: it adds CORS to their /v1 routes
  await app.register(trackingRoutes);
  await app.register(segmentsRoutes);
  await app.register(consentRoutes);
  await app.register(privacyRoutes);
  await app.register(enrichmentRoutes);
  await app.register(qualityRoutes);
  await app.register(dedupeRoutes);
  await app.register(lifecycleRoutes);
  await app.register(routingRoutes);
  await app.register(scoringRoutes);
}

/** Every module's background jobs. */
export function defineJobs(jobs: Jobs, config: Pick<Config, 'filesDir'>): void {
  authJobs(jobs);
  crmJobs(jobs);
  importsJobs(jobs, config.filesDir);
  trackingJobs(jobs);
  segmentsJobs(jobs);
  qualityJobs(jobs, config.filesDir);
  dedupeJobs(jobs);
  routingJobs(jobs);
  scoringJobs(jobs);
}
