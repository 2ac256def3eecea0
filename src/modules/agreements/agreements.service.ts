import { decodeCursor, type Page, toPage } from '../../db/pagination.js';
import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import { type Actor, type Ctx, companyScope } from '../../domain/actor.js';
import { normalize } from '../../domain/decimal.js';
import { DomainError, invalidTransition, notFound } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { appendEvents } from '../audit/audit.repository.js';
import { findCompany } from '../companies/companies.repository.js';
import { findMineral } from '../minerals/minerals.repository.js';
import {
  findAgreement,
  insertAgreement,
  listAgreements,
  lockAgreement,
  terminateAgreement,
  updateAgreement,
} from './agreements.repository.js';
import {
  type Agreement,
  type AgreementCreate,
  type AgreementListQuery,
  type AgreementPatch,
  agreementView,
} from './agreements.schemas.js';

export function createAgreementService({ db, clock }: Deps) {
  return {
    /** Signs an agreement; at most one active agreement per company and mineral (→ conflict). */
    create: (ctx: Ctx, companyId: string, input: AgreementCreate): Promise<Agreement> =>
      inTransaction(db, async (tx) => {
        if (!(await findCompany(tx, companyId))) throw notFound('Company', companyId);
        if (!(await findMineral(tx, input.mineralCode))) throw notFound('Mineral', input.mineralCode);
        const now = clock.now();
        const row = await insertAgreement(tx, {
          id: newId(),
          companyId,
          mineralCode: input.mineralCode,
          unitPrice: input.unitPrice,
          currency: 'USD',
          maxOutstanding: input.maxOutstanding,
          replenishmentDays: input.replenishmentDays,
          premiumPercent: input.premiumPercent,
          priorityClass: input.priorityClass ?? 'unrated',
          routineLimitPercent: input.routineLimitPercent ?? '100',
          status: 'active',
          createdAt: now,
          terminatedAt: null,
        });
        if (!row) {
          throw new DomainError(
            'conflict',
            `Company ${companyId} already has an active agreement for ${input.mineralCode}; terminate it first.`,
          );
        }
        const view = agreementView(row);
        await appendEvents(tx, ctx, now, [
          { action: 'agreement.created', entityType: 'agreement', entityId: row.id, data: view },
        ]);
        return view;
      }),

    /**
     * Changes an active agreement's priority class and/or routine share. Future draws only: each draw
     * locked its class and terms in at submission.
     */
    update: (ctx: Ctx, id: string, input: AgreementPatch): Promise<Agreement> =>
      inTransaction(db, async (tx) => {
        const current = await lockAgreement(tx, id);
        if (!current) throw notFound('Agreement', id);
        if (current.status !== 'active') throw invalidTransition('Agreement', id, current.status, 'updated');
        const changes = {
          ...(input.priorityClass !== undefined ? { priorityClass: input.priorityClass } : {}),
          ...(input.routineLimitPercent !== undefined
            ? { routineLimitPercent: normalize(input.routineLimitPercent) }
            : {}),
        };
        const now = clock.now();
        const row = await updateAgreement(tx, id, changes);
        await appendEvents(tx, ctx, now, [
          { action: 'agreement.updated', entityType: 'agreement', entityId: id, data: { changes } },
        ]);
        return agreementView(row);
      }),

    /** Ends an agreement: open draws and obligations keep the terms they locked in; new draws are refused. */
    terminate: (ctx: Ctx, id: string, reason: string | undefined): Promise<Agreement> =>
      inTransaction(db, async (tx) => {
        const current = await lockAgreement(tx, id);
        if (!current) throw notFound('Agreement', id);
        if (current.status !== 'active')
          throw invalidTransition('Agreement', id, current.status, 'terminated');
        const now = clock.now();
        const row = await terminateAgreement(tx, id, now);
        await appendEvents(tx, ctx, now, [
          {
            action: 'agreement.terminated',
            entityType: 'agreement',
            entityId: id,
            data: { reason: reason ?? null },
          },
        ]);
        return agreementView(row);
      }),

    async get(actor: Actor, id: string): Promise<Agreement> {
      const row = await findAgreement(db, id);
      if (!row || (actor.role === 'company' && row.companyId !== actor.companyId))
        throw notFound('Agreement', id);
      return agreementView(row);
    },

    async list(actor: Actor, query: AgreementListQuery): Promise<Page<Agreement>> {
      const companyId = companyScope(actor, query.companyId);
      if (companyId === null) return { data: [], nextCursor: null };
      const rows = await listAgreements(
        db,
        { companyId, mineralCode: query.mineral, status: query.status },
        decodeCursor(query.cursor),
        query.limit,
      );
      return toPage(rows, query.limit, agreementView);
    },
  };
}
