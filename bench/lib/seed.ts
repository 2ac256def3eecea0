import { signToken } from '../../src/http/auth.js';
import { BENCH_AUTH, BENCH_SECRET, DATA_SEED } from './config.js';
import { mapLimit, seededRandom } from './stats.js';

/**
 * The fixed data set every scenario starts from, generated from `DATA_SEED` so that runs compare:
 * `minerals` minerals BM1…BMn (BM1 is the hot one), one depot, one large lot per mineral, `companies`
 * companies each with an agreement on every mineral, large entitlements so draws are accepted, and
 * `preDraws` pending draws for the list endpoint to page through. Created through the HTTP API.
 */
export interface DatasetSpec {
  minerals: number;
  companies: number;
  preDraws: number;
}

export const DRAW_SET: DatasetSpec = { minerals: 20, companies: 32, preDraws: 0 };
export const READ_SET: DatasetSpec = { minerals: 20, companies: 32, preDraws: 500 };

/** Stock per mineral and entitlement per agreement: far above what any run can draw (1 unit per draw). */
const LOT_QUANTITY = '1000000000';
const MAX_OUTSTANDING = '1000000000';
const SEED_CONCURRENCY = 16;

export interface Company {
  id: string;
  token: string;
}

export interface Dataset {
  minerals: string[];
  companies: Company[];
  admin: string;
  auditor: string;
}

export const mineralCode = (i: number) => `BM${i + 1}`;

async function send(url: string, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status}: ${text}`);
  return JSON.parse(text) as Record<string, unknown>;
}

export async function seedDataset(url: string, spec: DatasetSpec): Promise<Dataset> {
  const random = seededRandom(DATA_SEED);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)]!;
  const admin = await signToken(BENCH_AUTH, BENCH_SECRET, {
    role: 'admin',
    sub: 'bench-admin',
    ttlSeconds: 6 * 3600,
  });
  const auditor = await signToken(BENCH_AUTH, BENCH_SECRET, {
    role: 'auditor',
    sub: 'bench-auditor',
    ttlSeconds: 6 * 3600,
  });
  const depot = await send(url, admin, 'POST', '/v1/depots', {
    code: 'BENCH_DEPOT',
    name: 'Bench depot',
    country: 'US',
  });

  // Every random choice is drawn up front, in a fixed order, so parallel creation cannot reorder them.
  const minerals = Array.from({ length: spec.minerals }, (_, i) => ({
    code: mineralCode(i),
    minimumReserve: String(Math.floor(random() * 1000)),
    unit: pick(['kg', 't'] as const),
    origin: pick(['AU', 'CA', 'CL', 'ZA', 'US']),
  }));
  const companies = Array.from({ length: spec.companies }, (_, i) => ({
    name: `Bench company ${i + 1}`,
    country: pick(['US', 'CA', 'DE', 'JP', 'KR']),
    prices: minerals.map(() => (100 + Math.floor(random() * 9000) / 10).toFixed(4)),
  }));
  const preDraws = Array.from({ length: spec.preDraws }, () => ({
    company: Math.floor(random() * spec.companies),
    mineral: Math.floor(random() * spec.minerals),
    quantity: (1 + Math.floor(random() * 9999) / 1000).toFixed(3),
  }));

  await mapLimit(minerals, SEED_CONCURRENCY, async (m) => {
    await send(url, admin, 'POST', '/v1/minerals', {
      code: m.code,
      name: `Bench mineral ${m.code}`,
      unit: m.unit,
      minimumReserve: m.minimumReserve,
    });
    await send(url, admin, 'POST', '/v1/lots', {
      mineralCode: m.code,
      depotId: depot.id,
      quantity: LOT_QUANTITY,
      originCountry: m.origin,
    });
  });
  const created = await mapLimit(companies, SEED_CONCURRENCY, async (c) => {
    const company = await send(url, admin, 'POST', '/v1/companies', { name: c.name, country: c.country });
    return { id: String(company.id), prices: c.prices };
  });
  const agreements = created.flatMap((c) =>
    minerals.map((m, i) => ({ company: c.id, mineral: m.code, price: c.prices[i]! })),
  );
  await mapLimit(agreements, SEED_CONCURRENCY, (a) =>
    send(url, admin, 'POST', `/v1/companies/${a.company}/agreements`, {
      mineralCode: a.mineral,
      unitPrice: a.price,
      maxOutstanding: MAX_OUTSTANDING,
      replenishmentDays: 30,
      premiumPercent: '2.5',
    }),
  );
  const withTokens: Company[] = await Promise.all(
    created.map(async (c) => ({
      id: c.id,
      token: await signToken(BENCH_AUTH, BENCH_SECRET, {
        role: 'company',
        companyId: c.id,
        sub: `bench-company-${c.id}`,
        ttlSeconds: 6 * 3600,
      }),
    })),
  );
  await mapLimit(preDraws, SEED_CONCURRENCY, (d) =>
    send(url, withTokens[d.company]!.token, 'POST', '/v1/draws', {
      mineralCode: mineralCode(d.mineral),
      quantity: d.quantity,
    }),
  );
  return { minerals: minerals.map((m) => m.code), companies: withTokens, admin, auditor };
}
