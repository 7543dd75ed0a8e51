import { definePolicy, everyone, managers } from '../../platform/permissions.js';

export const qualityPolicy = definePolicy('quality', {
  'quality.read': {
    roles: everyone,
    description: 'See data-quality scores, problems, fill rates and their history, and the retention policies with their passes',
  },
  'quality.snapshot': { roles: managers, description: "Record today's data-quality snapshot now" },
  'quality.configure': {
    roles: managers,
    description: 'Set the normalisation rules (what is normalised, default phone country, job-title tables)',
  },
  'quality.retention': { roles: managers, description: 'Set how long each kind of data is kept (retention policies)' },
});
