import { definePolicy, everyone } from '../../platform/permissions.js';

export const consentPolicy = definePolicy('consent', {
  'consent.read': { roles: everyone, description: "See a contact's consents and their history" },
  'consent.write': {
    roles: ['admin', 'mops_manager', 'automation_specialist', 'sales'],
    description: 'Record consent given or withdrawn for a contact',
  },
});
