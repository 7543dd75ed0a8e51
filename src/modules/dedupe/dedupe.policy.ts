import { definePolicy, everyone } from '../../platform/permissions.js';

export const dedupePolicy = definePolicy('dedupe', {
  'dedupe.read': { roles: everyone, description: 'See duplicate pairs, scans and merges' },
  'dedupe.review': {
    roles: ['admin', 'mops_manager', 'automation_specialist'],
    description: 'Dismiss a duplicate pair as not the same, and preview a merge',
  },
  'dedupe.merge': {
    roles: ['admin', 'mops_manager', 'automation_specialist'],
    description: 'Merge records and undo merges; run a full duplicate scan',
  },
  'dedupe.configure': {
    roles: ['admin', 'mops_manager'],
    description: 'Set duplicate thresholds, auto-merge, survivorship rules and match weights',
  },
});
