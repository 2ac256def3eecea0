import { type Ctx, SYSTEM_ACTOR } from '../domain/actor.js';
import type { Services } from '../services.js';

/**
 * The demo data set, written through the domain services so it is validated and audited like any
 * other change. Magnitudes follow the domain notes: rare-earth oxides in tonnes, gallium and germanium
 * in kilograms, prices in USD per unit.
 */
const MINERALS = [
  // NdPr: Chinese oxide trades far below the allied 110 USD/kg floor (110,000 USD/t); ~4,000 t a year.
  {
    code: 'NDPR_OXIDE',
    name: 'NdPr oxide (Nd2O3+Pr6O11, TREO ≥ 99.5%)',
    unit: 't',
    minimumReserve: '40',
    floorPrice: '110000',
    dailyConsumption: '11',
  },
  {
    code: 'DY_OXIDE',
    name: 'Dysprosium oxide (Dy2O3 ≥ 99.5%)',
    unit: 'kg',
    minimumReserve: '2000',
    dailyConsumption: '410',
  },
  {
    code: 'TB_OXIDE',
    name: 'Terbium oxide (Tb4O7 ≥ 99.99%)',
    unit: 'kg',
    minimumReserve: '500',
    dailyConsumption: '80',
  },
  // Gallium: ~16 t a year; a 90-day target for a metal under an export ban.
  {
    code: 'GA',
    name: 'Gallium metal 4N',
    unit: 'kg',
    minimumReserve: '1500',
    dailyConsumption: '43.8',
    targetCoverageDays: 90,
  },
  // Germanium: ~30,000 kg a year.
  {
    code: 'GE',
    name: 'Germanium metal (zone-refined)',
    unit: 'kg',
    minimumReserve: '2500',
    dailyConsumption: '82.2',
  },
  {
    code: 'LI2CO3',
    name: 'Lithium carbonate, battery grade',
    unit: 't',
    minimumReserve: '250',
    dailyConsumption: '55',
  },
  { code: 'CO', name: 'Cobalt metal cathode', unit: 't', minimumReserve: '120', dailyConsumption: '22' },
  {
    code: 'GRAPHITE_NAT',
    name: 'Natural flake graphite',
    unit: 't',
    minimumReserve: '600',
    dailyConsumption: '190',
  },
  // Antimony: its floor sits above a market that has come off its 2025 peak.
  {
    code: 'SB',
    name: 'Antimony ingot',
    unit: 't',
    minimumReserve: '60',
    floorPrice: '40000',
    dailyConsumption: '63',
  },
  // Tungsten: no benchmark recorded yet and no consumption figure: shown as unpriced, coverage null.
  { code: 'W_APT', name: 'Tungsten (ammonium paratungstate)', unit: 't', minimumReserve: '35' },
] as const;

/** Market price history per mineral (USD per unit): [price, days ago, source]. W_APT has none. */
const PRICES: Record<string, [string, number, string][]> = {
  NDPR_OXIDE: [
    ['58500', 180, 'Asian Metal NdPr oxide, China FOB'],
    ['61800', 90, 'Asian Metal NdPr oxide, China FOB'],
    ['74250', 7, 'Asian Metal NdPr oxide, China FOB'],
  ],
  DY_OXIDE: [
    ['205', 120, 'Fastmarkets Dy2O3 99.5% FOB China'],
    ['238.5', 10, 'Fastmarkets Dy2O3 99.5% FOB China'],
  ],
  TB_OXIDE: [
    ['540', 120, 'Fastmarkets Tb4O7 99.99% FOB China'],
    ['612', 10, 'Fastmarkets Tb4O7 99.99% FOB China'],
  ],
  GA: [
    ['595', 200, 'Fastmarkets Ga 4N Rotterdam'],
    ['812.5', 30, 'Fastmarkets Ga 4N Rotterdam'],
    ['905', 3, 'Fastmarkets Ga 4N Rotterdam'],
  ],
  GE: [
    ['1510', 150, 'Fastmarkets Ge 50 ohm Rotterdam'],
    ['2875', 5, 'Fastmarkets Ge 50 ohm Rotterdam'],
  ],
  LI2CO3: [
    ['10850', 120, 'Benchmark Li2CO3 battery grade CIF Asia'],
    ['9600', 6, 'Benchmark Li2CO3 battery grade CIF Asia'],
  ],
  CO: [
    ['33400', 150, 'LME cobalt cash'],
    ['48700', 4, 'LME cobalt cash'],
  ],
  GRAPHITE_NAT: [['640', 40, 'Benchmark flake graphite -100 mesh 94-95% FOB China']],
  SB: [
    ['58000', 200, 'Fastmarkets antimony 99.65% Rotterdam'],
    ['38500', 8, 'Fastmarkets antimony 99.65% Rotterdam'],
  ],
};

const DEPOTS = [
  { code: 'US-NV-RENO', name: 'Reno bonded warehouse', country: 'US' },
  { code: 'US-PA-PITT', name: 'Pittsburgh strategic depot', country: 'US' },
  { code: 'AU-WA-KWIN', name: 'Kwinana allied depot', country: 'AU' },
] as const;

const COMPANIES = [
  {
    name: 'Aurora Motors',
    country: 'US',
    agreements: [
      {
        mineralCode: 'NDPR_OXIDE',
        unitPrice: '110000',
        maxOutstanding: '30',
        replenishmentDays: 180,
        premiumPercent: '3.5',
      },
      {
        mineralCode: 'LI2CO3',
        unitPrice: '14500',
        maxOutstanding: '120',
        replenishmentDays: 270,
        premiumPercent: '2.5',
      },
      {
        mineralCode: 'CO',
        unitPrice: '33000',
        maxOutstanding: '25',
        replenishmentDays: 365,
        premiumPercent: '4.25',
      },
    ],
  },
  {
    name: 'Helios Semiconductor',
    country: 'US',
    agreements: [
      // A defence-electronics supplier: rated DO. Its whole gallium entitlement is routine, so the
      // README's walk-through draw is held at once even under the gallium alert.
      {
        mineralCode: 'GA',
        unitPrice: '750',
        maxOutstanding: '800',
        replenishmentDays: 90,
        premiumPercent: '2.3',
        priorityClass: 'DO',
      },
      {
        mineralCode: 'GE',
        unitPrice: '1450',
        maxOutstanding: '1200',
        replenishmentDays: 120,
        premiumPercent: '3',
        priorityClass: 'DO',
        routineLimitPercent: '60',
      },
    ],
  },
  {
    name: 'Northwind Turbines',
    country: 'DE',
    agreements: [
      {
        mineralCode: 'DY_OXIDE',
        unitPrice: '230',
        maxOutstanding: '1500',
        replenishmentDays: 180,
        premiumPercent: '3.5',
      },
      {
        mineralCode: 'TB_OXIDE',
        unitPrice: '560',
        maxOutstanding: '300',
        replenishmentDays: 180,
        premiumPercent: '4',
      },
      {
        mineralCode: 'NDPR_OXIDE',
        unitPrice: '108500',
        maxOutstanding: '20',
        replenishmentDays: 240,
        premiumPercent: '3',
      },
    ],
  },
  {
    // A defence programme's optics supplier: rated DX, half of its entitlement routine, the rest
    // reserved for an emergency.
    name: 'Meridian Defense Optics',
    country: 'US',
    agreements: [
      {
        mineralCode: 'GE',
        unitPrice: '1475',
        maxOutstanding: '600',
        replenishmentDays: 90,
        premiumPercent: '2.5',
        priorityClass: 'DX',
        routineLimitPercent: '50',
      },
      {
        mineralCode: 'GA',
        unitPrice: '760',
        maxOutstanding: '300',
        replenishmentDays: 90,
        premiumPercent: '2.5',
        priorityClass: 'DX',
        routineLimitPercent: '50',
      },
    ],
  },
] as const;

/**
 * The crisis the demo opens on: an alert (no rule changes yet; draws record it, inventory shows it)
 * over the two minerals whose exports now need a licence case by case.
 */
const DISRUPTIONS = [
  {
    title: 'Export licensing on gallium and germanium',
    mineralCodes: ['GA', 'GE'],
    level: 'alert',
    description:
      'The main producing country now requires a licence for every export shipment of gallium and ' +
      'germanium and their compounds. Deliveries are delayed and may stop; members should plan for an ' +
      'emergency, in which draws are queued and rationed by priority class.',
  },
] as const;

/** Lots received per mineral: [depot index, quantity, origin, unit cost, days ago]. */
const LOTS: Record<string, [number, string, string, string, number][]> = {
  NDPR_OXIDE: [
    [0, '85', 'AU', '98000', 200],
    [1, '60.5', 'US', '112000', 90],
  ],
  DY_OXIDE: [[1, '6500', 'AU', '210', 150]],
  TB_OXIDE: [[1, '1800', 'AU', '520', 150]],
  GA: [
    [1, '5200', 'JP', '690', 120],
    [0, '2400', 'CA', '720', 30],
  ],
  GE: [[1, '7800', 'BE', '1380', 160]],
  LI2CO3: [
    [2, '900', 'AU', '12800', 100],
    [0, '350', 'CL', '13100', 20],
  ],
  CO: [[1, '410', 'FI', '31000', 110]],
  GRAPHITE_NAT: [[2, '2600', 'MZ', '780', 70]],
  SB: [[0, '190', 'AU', '24000', 60]],
  W_APT: [[1, '95', 'KR', '43000', 80]],
};

export interface SeedSummary {
  minerals: number;
  depots: number;
  companies: number;
  agreements: number;
  lots: number;
  disruptions: number;
  prices: number;
}

/** Loads the demo data into an empty database; does nothing (returns null) when minerals exist. */
export async function seedDemo(services: Services, now = new Date()): Promise<SeedSummary | null> {
  const existing = await services.minerals.list({ limit: 1 });
  if (existing.data.length > 0) return null;
  const ctx: Ctx = { actor: SYSTEM_ACTOR, requestId: 'seed-demo' };
  for (const m of MINERALS) await services.minerals.create(ctx, m);
  const depotIds: string[] = [];
  for (const d of DEPOTS) depotIds.push((await services.depots.create(ctx, d)).id);
  let agreements = 0;
  for (const c of COMPANIES) {
    const company = await services.companies.create(ctx, { name: c.name, country: c.country });
    for (const a of c.agreements) {
      await services.agreements.create(ctx, company.id, a);
      agreements++;
    }
  }
  let lots = 0;
  for (const [mineralCode, entries] of Object.entries(LOTS)) {
    for (const [depot, quantity, originCountry, unitCost, daysAgo] of entries) {
      await services.lots.receive(ctx, {
        mineralCode,
        depotId: depotIds[depot]!,
        quantity,
        originCountry,
        unitCost,
        receivedAt: new Date(now.getTime() - daysAgo * 86_400_000).toISOString(),
        reference: `DEMO-PO-${mineralCode}-${lots + 1}`,
      });
      lots++;
    }
  }
  for (const d of DISRUPTIONS) {
    await services.disruptions.declare(ctx, { ...d, mineralCodes: [...d.mineralCodes] });
  }
  let prices = 0;
  for (const [mineralCode, entries] of Object.entries(PRICES)) {
    for (const [price, daysAgo, source] of entries) {
      const asOf = new Date(now.getTime() - daysAgo * 86_400_000).toISOString();
      await services.prices.record(ctx, mineralCode, { price, asOf, source });
      prices++;
    }
  }
  return {
    minerals: MINERALS.length,
    depots: DEPOTS.length,
    companies: COMPANIES.length,
    agreements,
    lots,
    disruptions: DISRUPTIONS.length,
    prices,
  };
}
