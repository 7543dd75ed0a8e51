import { queryOptions } from '@tanstack/react-query';
import { z } from 'zod';
import {
  consentSchema,
  contactConsentsSchema,
  doubleOptInStates,
  knownPurposes,
  lawfulBases,
  type Consent,
} from '../../../../src/modules/consent/consent.schema.js';
import { api } from '../../lib/api.js';

export { contactConsentsSchema, doubleOptInStates, knownPurposes, lawfulBases, type Consent };
export type ContactConsents = z.infer<typeof contactConsentsSchema>;
export type ConsentEvent = ContactConsents['history'][number];
export type KnownPurpose = (typeof knownPurposes)[number];
export type LawfulBasis = (typeof lawfulBases)[number];
export type DoubleOptIn = (typeof doubleOptInStates)[number];

/** What POST /contacts/:id/consents answers (201): the state that stands, and whether this change is it. */
export const recordConsentResultSchema = z.object({ consent: consentSchema, applied: z.boolean() });

export const contactConsentsQuery = (contactId: string) =>
  queryOptions({
    queryKey: ['consents', 'contact', contactId],
    queryFn: () => api.get(`/contacts/${contactId}/consents`, contactConsentsSchema),
    staleTime: 0,
  });

export const purposeLabels: Record<KnownPurpose, string> = {
  email_marketing: 'Email marketing',
  tracking: 'Tracking',
  profiling: 'Profiling',
};

export const isKnownPurpose = (p: string): p is KnownPurpose => (knownPurposes as readonly string[]).includes(p);

/** "Email marketing" for the known purposes; a workspace's own key as it is. */
export const purposeLabel = (p: string): string => (isKnownPurpose(p) ? purposeLabels[p] : p);

export const lawfulBasisLabels: Record<LawfulBasis, string> = {
  consent: 'Consent',
  legitimate_interest: 'Legitimate interest',
  contract: 'Contract',
  legal_obligation: 'Legal obligation',
  vital_interest: 'Vital interest',
  public_task: 'Public task',
};

export const lawfulBasisLabel = (b: string): string => lawfulBasisLabels[b as LawfulBasis] ?? b;

export const doubleOptInLabels: Record<DoubleOptIn, string> = {
  not_required: 'Not required',
  pending: 'Pending confirmation',
  confirmed: 'Confirmed',
};

/** The state a consent (or one change in its history) puts a purpose in, as the segment condition names it. */
export type ConsentState = 'granted' | 'pending' | 'withdrawn';
export function consentState(c: { status: string; doubleOptIn: string }): ConsentState {
  if (c.status === 'withdrawn') return 'withdrawn';
  return c.doubleOptIn === 'pending' ? 'pending' : 'granted';
}

export const consentStateBadges: Record<ConsentState, { label: string; tone: 'success' | 'warning' | 'neutral' }> = {
  granted: { label: 'Effective', tone: 'success' },
  pending: { label: 'Waiting for confirmation', tone: 'warning' },
  withdrawn: { label: 'Withdrawn', tone: 'neutral' },
};

/** One change in the history, in words: "Granted", "Granted, confirmation asked", "Confirmed", "Withdrawn". */
export function changeLabel(e: Pick<ConsentEvent, 'status' | 'doubleOptIn'>): string {
  if (e.status === 'withdrawn') return 'Withdrawn';
  if (e.doubleOptIn === 'pending') return 'Granted, confirmation asked';
  if (e.doubleOptIn === 'confirmed') return 'Confirmed';
  return 'Granted';
}
