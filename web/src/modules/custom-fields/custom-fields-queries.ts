import { queryOptions, type QueryClient } from '@tanstack/react-query';
import { z } from 'zod';
import { customFieldSchema } from '../../../../src/modules/crm/custom-fields.schema.js';
import type { FieldType, ObjectName } from '../../../../src/modules/crm/field-types.js';
import { api } from '../../lib/api.js';

const listSchema = z.object({ data: z.array(customFieldSchema) });

/** Live or deleted definitions of one object. Under 'custom-fields', like every other reader of them. */
export const customFieldsQuery = (object: ObjectName, deleted: 'exclude' | 'only') =>
  queryOptions({
    queryKey: ['custom-fields', 'settings', object, deleted],
    queryFn: async () => (await api.get('/custom-fields', listSchema, { object, deleted })).data,
  });

/** After any change to a definition: the lists, record forms and import targets all read them. */
export async function refreshFieldReaders(qc: QueryClient): Promise<void> {
  await Promise.all([qc.invalidateQueries({ queryKey: ['custom-fields'] }), qc.invalidateQueries({ queryKey: ['import-fields'] })]);
}

/** What each type is for, in the words of someone choosing one. */
export const fieldTypeDescriptions: Record<FieldType, string> = {
  text: 'Free text: a nickname, a note, a reference code.',
  number: 'A number, decimals allowed: a lead score, a seat count.',
  boolean: 'Yes or no: opted in to the beta, is a partner.',
  date: 'A calendar day without a time: a renewal date, a birthday.',
  datetime: 'A moment, kept in UTC: the last demo, the signup time.',
  select: 'One choice from a list you define: tier, region, plan.',
  multiselect: 'Any number of choices from your list: interests, products owned.',
  url: 'A web address (http or https): a LinkedIn profile, a booking page.',
  email: 'An email address, checked and kept in lower case.',
  phone: 'A phone number as people write it: a direct line.',
  currency: 'An amount of money in one currency, kept exactly: contract value.',
};

export const objectTabs: ReadonlyArray<{ object: ObjectName; label: string; noun: string }> = [
  { object: 'contact', label: 'Contacts', noun: 'contact' },
  { object: 'account', label: 'Accounts', noun: 'account' },
];

/** Common ISO 4217 codes offered first; any three-letter code is accepted. */
export const commonCurrencies = ['USD', 'EUR', 'GBP', 'CAD', 'AUD', 'CHF', 'JPY', 'SEK', 'NOK', 'DKK', 'INR', 'BRL', 'SGD', 'NZD'];
