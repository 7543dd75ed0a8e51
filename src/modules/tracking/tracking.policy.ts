import { definePolicy, everyone } from '../../platform/permissions.js';

export const trackingPolicy = definePolicy('tracking', {
  'tracking.read': { roles: everyone, description: "See sources, a contact's events, identities and touchpoints" },
  'tracking.manage': {
    roles: ['admin', 'mops_manager', 'automation_specialist'],
    description: 'Create sources, rotate and revoke write keys',
  },
});
