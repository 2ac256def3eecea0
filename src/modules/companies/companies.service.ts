import { decodeCursor, type Page, toPage } from '../../db/pagination.js';
import { inTransaction } from '../../db/transaction.js';
import type { Deps } from '../../deps.js';
import type { Actor, Ctx } from '../../domain/actor.js';
import { notFound } from '../../domain/errors.js';
import { newId } from '../../domain/ids.js';
import { appendEvents } from '../audit/audit.repository.js';
import {
  findCompany,
  insertCompany,
  listCompanies,
  lockCompany,
  updateCompany,
} from './companies.repository.js';
import { type Company, type CompanyCreate, type CompanyPatch, companyView } from './companies.schemas.js';

/** A company token sees its own company only; another company's id is "not found", never "forbidden". */
const visibleTo = (actor: Actor, companyId: string) =>
  actor.role !== 'company' || actor.companyId === companyId;

export function createCompanyService({ db, clock }: Deps) {
  return {
    /** Registers a member company, active from the start. */
    create: (ctx: Ctx, input: CompanyCreate): Promise<Company> =>
      inTransaction(db, async (tx) => {
        const now = clock.now();
        const row = await insertCompany(tx, {
          id: newId(),
          name: input.name,
          country: input.country,
          status: 'active',
          createdAt: now,
          updatedAt: now,
        });
        const view = companyView(row);
        await appendEvents(tx, ctx, now, [
          { action: 'company.created', entityType: 'company', entityId: row.id, data: view },
        ]);
        return view;
      }),

    /** Renames, suspends or reactivates a company (suspension blocks new draws). */
    update: (ctx: Ctx, id: string, patch: CompanyPatch): Promise<Company> =>
      inTransaction(db, async (tx) => {
        const current = await lockCompany(tx, id);
        if (!current) throw notFound('Company', id);
        const now = clock.now();
        const row = await updateCompany(tx, id, { ...patch, updatedAt: now });
        const changes: Record<string, unknown> = {};
        if (patch.name !== undefined) changes.name = { from: current.name, to: row.name };
        if (patch.status !== undefined) changes.status = { from: current.status, to: row.status };
        await appendEvents(tx, ctx, now, [
          { action: 'company.updated', entityType: 'company', entityId: id, data: { changes } },
        ]);
        return companyView(row);
      }),

    async get(actor: Actor, id: string): Promise<Company> {
      const row = visibleTo(actor, id) ? await findCompany(db, id) : undefined;
      if (!row) throw notFound('Company', id);
      return companyView(row);
    },

    async list(
      actor: Actor,
      query: { limit: number; cursor?: string; status?: Company['status'] },
    ): Promise<Page<Company>> {
      const filter = { status: query.status, id: actor.role === 'company' ? actor.companyId! : undefined };
      const rows = await listCompanies(db, filter, decodeCursor(query.cursor), query.limit);
      return toPage(rows, query.limit, companyView);
    },
  };
}
