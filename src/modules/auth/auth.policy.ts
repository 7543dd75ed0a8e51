import { definePolicy } from '../../platform/permissions.js';

// Signing in, out and managing one's own account need only a valid session: see the routes'
// `authenticated` access. Nothing here grants more than that.
export const authPolicy = definePolicy('auth', {});
