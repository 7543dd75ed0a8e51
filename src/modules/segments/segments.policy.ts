import { definePolicy, everyone } from '../../platform/permissions.js';

export const segmentsPolicy = definePolicy('segments', {
  'segments.read': { roles: everyone, description: 'See segments, their counts and members' },
  'segments.write': {
    roles: ['admin', 'mops_manager', 'automation_specialist', 'data_analyst'],
    description: 'Create, change, rebuild and delete segments',
  },
});

export const listsPolicy = definePolicy('lists', {
  'lists.read': { roles: everyone, description: 'See static lists and their members' },
  'lists.write': {
    roles: ['admin', 'mops_manager', 'automation_specialist', 'data_analyst'],
    description: 'Create, change and delete static lists; add and remove members',
  },
});
