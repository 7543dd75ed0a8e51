import { definePolicy, everyone } from '../../platform/permissions.js';

export const scoringPolicy = definePolicy('scoring', {
  'scoring.read': { roles: everyone, description: 'See scoring models and contacts’ scores with their explanations' },
  'scoring.write': {
    roles: ['admin', 'mops_manager', 'automation_specialist'],
    description: 'Create, edit (the draft), preview, recompute and delete scoring models',
  },
  'scoring.evaluate': {
    roles: ['admin', 'mops_manager', 'automation_specialist', 'data_analyst'],
    description: 'Evaluate a model over a past period and see what publishing its draft would change (nothing is stored)',
  },
  'scoring.publish': {
    roles: ['admin', 'mops_manager'],
    description: 'Publish a scoring model’s draft as its new version (audited)',
  },
});
