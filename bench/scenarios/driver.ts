import { type Plan, POOL_MAX, READ_CONNECTIONS } from '../lib/config.js';
import { type Measurement, measure } from '../lib/load.js';
import { withBenchDatabase } from '../lib/pg.js';
import { startServer } from '../lib/processes.js';
import { describe, drift, type Section, section } from '../lib/report.js';
import { ratio } from '../lib/stats.js';
import { installedDriver, stockDriverEntry } from '../lib/stock-driver.js';

/**
 * The driver trap (porsager/postgres#747): postgres.js 3.4.9's connection queues slow down the longer
 * the pool stays saturated. Regression benchmark: the bare `SELECT 1` server saturated by
 * READ_CONNECTIONS clients on a pool of POOL_MAX, once on the published queue and once on the patched
 * one, for the same number of back-to-back windows; the last window against the first shows the decline.
 */
export async function driverScenario(plan: Plan): Promise<Section> {
  const s = section(`Driver regression: saturated SELECT 1 (${READ_CONNECTIONS} clients, pool ${POOL_MAX})`);
  const driver = installedDriver();
  s.notes.push(
    `installed postgres.js ${driver.version}, queue patch ${driver.patched ? 'applied' : 'NOT applied'}`,
  );
  if (driver.version !== '3.4.9') {
    s.notes.push('the stock-queue copy is only defined for 3.4.9: regression skipped');
    return s;
  }
  const windowPlan = {
    warmupSeconds: plan.warmupSeconds,
    windowSeconds: plan.windowSeconds,
    windows: plan.driverWindows,
  };
  const results = await withBenchDatabase('driver', async (db) => {
    const run = async (postgresModule: string | null): Promise<Measurement> => {
      const server = await startServer('bench/baseline-server.ts', {
        DATABASE_URL: db.url,
        DB_POOL_MAX: String(POOL_MAX),
        ...(postgresModule ? { POSTGRES_MODULE: postgresModule } : {}),
      });
      try {
        return await measure(
          [
            {
              url: server.url,
              connections: READ_CONNECTIONS,
              requests: [{ method: 'GET', path: '/select1' }],
            },
          ],
          windowPlan,
        );
      } finally {
        await server.stop();
      }
    };
    const stock = await run(stockDriverEntry());
    const patched = driver.patched ? await run(null) : null;
    return { stock, patched };
  });
  const { stock, patched } = results;
  const decline = (m: Measurement) => ratio(m.last.rps, m.first.rps);
  s.rows.push({
    name: 'stock 3.4.9: last window vs first',
    value: describe(stock.last, stock.last.rps),
    baseline: describe(stock.first, stock.first.rps),
    ratio: decline(stock),
  });
  if (patched) {
    s.rows.push({
      name: 'patched: last window vs first',
      value: describe(patched.last, patched.last.rps),
      baseline: describe(patched.first, patched.first.rps),
      ratio: decline(patched),
    });
    s.rows.push({
      name: 'patched vs stock, last window',
      value: describe(patched.last, patched.last.rps),
      baseline: `stock ${describe(stock.last, stock.last.rps)}`,
      ratio: ratio(patched.last.rps, stock.last.rps),
    });
    s.notes.push(`patched drift: ${drift(patched)}`);
  } else {
    s.notes.push('run `npm install` (postinstall applies patches/) to measure the patched driver');
  }
  s.notes.push(`stock drift: ${drift(stock)}`);
  s.notes.push(
    `windows (req/s): stock ${stock.windows.map((w) => Math.round(w.rps)).join(' → ')}` +
      (patched ? `; patched ${patched.windows.map((w) => Math.round(w.rps)).join(' → ')}` : ''),
  );
  s.data = { driver, stock, patched };
  return s;
}
