import { decodeCursor, type Page, toPage } from '../../db/pagination.js';
import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import type { Ctx } from '../../domain/actor.js';
import { DomainError, notFound } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { appendEvents } from '../audit/audit.repository.js';
import { findDepot, insertDepot, listDepots } from './depots.repository.js';
import { type Depot, type DepotCreate, depotView } from './depots.schemas.js';

export function createDepotService({ db, clock }: Deps) {
  return {
    /** Registers a storage depot; depot codes are unique (→ conflict). */
    create: (ctx: Ctx, input: DepotCreate): Promise<Depot> =>
      inTransaction(db, async (tx) => {
        const now = clock.now();
        const row = await insertDepot(tx, { id: newId(), ...input, createdAt: now });
        if (!row) throw new DomainError('conflict', `A depot with code ${input.code} already exists.`);
        const view = depotView(row);
        await appendEvents(tx, ctx, now, [
          { action: 'depot.created', entityType: 'depot', entityId: row.id, data: view },
        ]);
        return view;
      }),

    async get(id: string): Promise<Depot> {
      const row = await findDepot(db, id);
      if (!row) throw notFound('Depot', id);
      return depotView(row);
    },

    async list(query: { limit: number; cursor?: string }): Promise<Page<Depot>> {
      const rows = await listDepots(db, decodeCursor(query.cursor), query.limit);
      return toPage(rows, query.limit, depotView);
    },
  };
}
