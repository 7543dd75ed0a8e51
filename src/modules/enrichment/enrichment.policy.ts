import { definePolicy, everyone, managers } from '../../platform/permissions.js';

export const enrichmentPolicy = definePolicy('enrichment', {
  'enrichment.read': {
    roles: everyone,
    description: 'See enrichment providers (secrets masked), where field values came from, and account matches',
  },
  'enrichment.write': {
    roles: managers,
    description: 'Manage enrichment providers, enrich records, run lead-to-account matching and accept or reject matches',
  },
});
