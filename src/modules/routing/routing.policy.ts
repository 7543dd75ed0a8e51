import { definePolicy, everyone, managers } from '../../platform/permissions.js';

export const lifecyclePolicy = definePolicy('lifecycle', {
  'lifecycle.read': { roles: everyone, description: "See lifecycle stages, stage rules and a contact's stage history" },
  'lifecycle.configure': { roles: managers, description: 'Rename stages, allow backward moves, edit stage rules' },
  'lifecycle.set_stage': {
    roles: ['admin', 'mops_manager', 'automation_specialist', 'sales'],
    description: "Set a contact's lifecycle stage by hand (forward, or backward where allowed)",
  },
});

export const routingPolicy = definePolicy('routing', {
  'routing.read': {
    roles: everyone,
    description: "See routing rules, reps, the routing log, a contact's current assignment and reps' lead queues",
  },
  'routing.configure': { roles: managers, description: 'Edit routing rules, reps (weights, capacity, hours) and routing settings' },
  'routing.route': { roles: ['admin', 'mops_manager', 'automation_specialist'], description: 'Route or re-route a lead on demand' },
  'routing.decide': { roles: ['admin', 'mops_manager', 'sales'], description: 'Accept or reject a lead assigned to you' },
  'routing.decide_any': { roles: managers, description: 'Accept or reject a lead on behalf of the rep it is assigned to' },
  'routing.sla_read': {
    roles: everyone,
    description: 'See lead SLAs, which leads are at risk or breached, and the reminders and escalations sent',
  },
  'routing.sla_configure': { roles: managers, description: 'Set per-stage SLAs, their calendar and the manager breaches escalate to' },
  'routing.report': {
    roles: everyone,
    description: 'See the routing feedback report (acceptance, rejection reasons, time to first touch, conversion)',
  },
});
