import type { Actor } from '../../platform/actor.js';
import { recordAudit } from '../../platform/audit/audit.service.js';
import { AppError, notFound } from '../../platform/errors.js';
import { accountDef, contactDef } from './crm-objects.js';
import { findRecord } from './records.repo.js';
import type { Ctx } from './records.service.js';

/**
 * Links a contact to an account besides its primary one (contacts.account_id): people who work
 * with several accounts, agencies, board members.
 */
export async function linkContact(ctx: Ctx, actor: Actor, accountId: string, contactId: string, role: string): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const account = await findRecord(trx, accountDef, actor.workspaceId, accountId);
    if (!account || account.deleted_at) throw notFound('Account');
    const contact = await findRecord(trx, contactDef, actor.workspaceId, contactId);
    if (!contact || contact.deleted_at)
      throw new AppError('validation_failed', 'No such contact in this workspace', [{ path: 'contactId', message: 'No such contact' }]);
    const inserted = await trx
      .insertInto('account_contacts')
      .values({ workspace_id: actor.workspaceId, account_id: accountId, contact_id: contactId, role, created_at: ctx.clock.now() })
      .onConflict((oc) => oc.columns(['account_id', 'contact_id']).doUpdateSet({ role }))
      .returning('contact_id')
      .executeTakeFirst();
    if (inserted) {
      await recordAudit(trx, ctx.clock, actor, {
        action: 'account.contact_linked',
        entityType: 'account',
        entityId: accountId,
        after: { contactId, role },
      });
    }
  });
}

export async function unlinkContact(ctx: Ctx, actor: Actor, accountId: string, contactId: string): Promise<void> {
  await ctx.db.transaction().execute(async (trx) => {
    const gone = await trx
      .deleteFrom('account_contacts')
      .where('workspace_id', '=', actor.workspaceId)
      .where('account_id', '=', accountId)
      .where('contact_id', '=', contactId)
      .returning('role')
      .executeTakeFirst();
    if (!gone) throw notFound('Link');
    await recordAudit(trx, ctx.clock, actor, {
      action: 'account.contact_unlinked',
      entityType: 'account',
      entityId: accountId,
      before: { contactId, role: gone.role },
    });
  });
}
