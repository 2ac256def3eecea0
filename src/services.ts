import type { Deps } from './deps.js';
import { createAgreementService } from './modules/agreements/agreements.service.js';
import { createAllocationRoundService } from './modules/allocation-rounds/allocation-rounds.service.js';
import { createAuditService } from './modules/audit/audit.service.js';
import { createCompanyService } from './modules/companies/companies.service.js';
import { createDepotService } from './modules/depots/depots.service.js';
import { createDisruptionService } from './modules/disruptions/disruptions.service.js';
import { createDrawService } from './modules/draws/draws.service.js';
import { createIdempotencyService } from './modules/idempotency/idempotency.service.js';
import { createInventoryService } from './modules/inventory/inventory.service.js';
import { createLedgerService } from './modules/ledger/ledger.service.js';
import { createLotService } from './modules/lots/lots.service.js';
import { createMineralService } from './modules/minerals/minerals.service.js';
import { createObligationService } from './modules/obligations/obligations.service.js';
import { createPriceService } from './modules/prices/prices.service.js';
import { createValuationService } from './modules/valuation/valuation.service.js';

export function createServices(deps: Deps) {
  return {
    minerals: createMineralService(deps),
    depots: createDepotService(deps),
    companies: createCompanyService(deps),
    agreements: createAgreementService(deps),
    lots: createLotService(deps),
    inventory: createInventoryService(deps),
    draws: createDrawService(deps),
    disruptions: createDisruptionService(deps),
    allocationRounds: createAllocationRoundService(deps),
    obligations: createObligationService(deps),
    audit: createAuditService(deps),
    ledger: createLedgerService(deps),
    prices: createPriceService(deps),
    valuation: createValuationService(deps),
    idempotency: createIdempotencyService({
      db: deps.db,
      clock: deps.clock,
      ttlHours: deps.config.idempotencyTtlHours,
    }),
  };
}
export type Services = ReturnType<typeof createServices>;
