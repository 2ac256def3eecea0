/**
 * The whole draw lifecycle through the typed client (`openapi-fetch` + the types generated from the
 * OpenAPI document in `openapi/schema.d.ts`): list inventory, submit a draw as a company that has an
 * agreement for the mineral, approve and fulfil it as admin, record the replenishment delivery, and
 * verify the audit chain as auditor. Prints each step; exits 1 at the first unexpected answer.
 *
 *   npm start            # in one terminal (embedded database with demo data)
 *   npm run demo         # in another: [-- --url http://127.0.0.1:3000] [--mineral GA] [--quantity 120]
 *
 * Tokens are minted here with the server's own signing secret and issuer/audience configuration
 * (the same environment and data folder as `npm start` / `npm run token`), so nothing is pasted.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from '../openapi/schema.js';
import { loadConfig } from '../src/config.js';
import { signToken, type TokenRequest } from '../src/http/auth.js';
import { resolveJwtSecret } from '../src/secrets.js';

type Problem = components['schemas']['Problem'];

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://127.0.0.1:3000' },
    mineral: { type: 'string', default: 'GA' },
    quantity: { type: 'string', default: '120' },
  },
});
const baseUrl = args.url!;
const mineralCode = args.mineral!;
const quantity = args.quantity!;

const print = (step: string, detail = '') => process.stdout.write(`${step}${detail ? ` ${detail}` : ''}\n`);

/** The answer's data, or a thrown error naming the step and the problem the server sent. */
function must<T>(step: string, result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data === undefined) {
    const problem = result.error as Problem | undefined;
    throw new Error(
      `${step}: ${result.response.status} ${problem?.type ?? ''} ${problem?.detail ?? JSON.stringify(result.error)}`,
    );
  }
  return result.data;
}

/** A client whose every request carries a token minted for `who` by the server's own secret. */
async function clientFor(who: TokenRequest): Promise<Client<paths>> {
  const config = loadConfig();
  if (config.database.kind === 'pglite' && config.database.dataDir === null && !config.auth.jwtSecret) {
    throw new Error(
      'a memory: database has a throw-away secret; set AUTH_JWT_SECRET for the server and here',
    );
  }
  const { secret } = resolveJwtSecret(config);
  if (!secret) throw new Error('tokens are verified against AUTH_JWKS_URL; this demo needs AUTH_JWT_SECRET');
  const token = await signToken(config.auth, secret, { ttlSeconds: 600, ...who });
  return createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });
}

async function main(): Promise<void> {
  const admin = await clientFor({ role: 'admin', sub: 'demo:admin' });
  const auditor = await clientFor({ role: 'auditor', sub: 'demo:auditor' });

  // 1. Inventory, as admin.
  const before = must(
    'inventory',
    await admin.GET('/v1/inventory/{code}', { params: { path: { code: mineralCode } } }),
  );
  print(
    `1. inventory ${mineralCode}:`,
    `onHand ${before.onHand} ${before.unit}, reserved ${before.reserved}, drawable ${before.drawable}`,
  );

  // 2. A company that holds an active agreement for the mineral, and a token for it.
  const agreements = must(
    'agreements',
    await admin.GET('/v1/agreements', { params: { query: { mineral: mineralCode, limit: '200' } } }),
  );
  const agreement = agreements.data.find((a) => a.status === 'active');
  if (!agreement) throw new Error(`no company has an active agreement for ${mineralCode}`);
  const company = must(
    'company',
    await admin.GET('/v1/companies/{id}', { params: { path: { id: agreement.companyId } } }),
  );
  print(
    `2. ${company.name} holds agreement ${agreement.id}:`,
    `${agreement.unitPrice} USD/${before.unit}, cap ${agreement.maxOutstanding}, premium ${agreement.premiumPercent}%`,
  );
  const member = await clientFor({ role: 'company', companyId: company.id, sub: 'demo:company' });

  // 3. The company draws; the Idempotency-Key makes a retry of this exact request harmless.
  const submitted = must(
    'submit draw',
    await member.POST('/v1/draws', {
      params: { header: { 'Idempotency-Key': `demo-${randomUUID()}` } },
      body: { mineralCode, quantity, note: 'Demo: fab line 3, export licence delayed' },
    }),
  );
  print(`3. draw ${submitted.id} submitted:`, `${submitted.status}, amount ${submitted.amount} USD`);

  // 4. The admin approves, then fulfils from lots (oldest first); neither needs a body.
  const approved = must(
    'approve',
    await admin.POST('/v1/draws/{id}/approve', { params: { path: { id: submitted.id } } }),
  );
  print('4. approved:', approved.status);
  const fulfilled = must(
    'fulfil',
    await admin.POST('/v1/draws/{id}/fulfil', { params: { path: { id: submitted.id } } }),
  );
  const lots = fulfilled.allocations.map((a) => `${a.quantity} from lot ${a.lotId}`).join(', ');
  print('5. fulfilled:', lots);
  if (!fulfilled.obligationId) throw new Error('a fulfilled draw must carry its obligation');
  const obligation = must(
    'obligation',
    await member.GET('/v1/obligations/{id}', { params: { path: { id: fulfilled.obligationId } } }),
  );
  print(
    `6. obligation ${obligation.id}:`,
    `${obligation.quantityDue} ${before.unit} due by ${obligation.dueAt} (${obligation.status})`,
  );

  // 5. The replenishment arrives at a depot and becomes a new lot.
  const depots = must('depots', await admin.GET('/v1/depots', { params: { query: { limit: '1' } } }));
  const depot = depots.data[0];
  if (!depot) throw new Error('no depot to deliver to');
  const delivered = must(
    'delivery',
    await admin.POST('/v1/obligations/{id}/deliveries', {
      params: { path: { id: obligation.id }, header: { 'Idempotency-Key': `demo-${randomUUID()}` } },
      body: { quantity: obligation.quantityOutstanding, depotId: depot.id, originCountry: 'JP', grade: '4N' },
    }),
  );
  print(`7. delivered ${obligation.quantityOutstanding} to ${depot.code}:`, `obligation ${delivered.status}`);

  // 6. The auditor reads the draw's history and verifies the whole chain.
  const history = must(
    'history',
    await auditor.GET('/v1/audit-events', {
      params: { query: { entityType: 'draw', entityId: submitted.id } },
    }),
  );
  print('8. audit trail of the draw:', history.data.map((e) => `#${e.seq} ${e.action}`).join(', '));
  const chain = must('verify', await auditor.GET('/v1/audit-events/verify'));
  print(
    `9. audit chain ${chain.valid ? 'valid' : 'INVALID'}:`,
    `${chain.eventsChecked} events, head #${chain.headSeq} ${chain.headHash}`,
  );
  if (!chain.valid) throw new Error(`the audit chain is broken at seq ${chain.firstInvalidSeq}`);
  const after = must(
    'inventory',
    await admin.GET('/v1/inventory/{code}', { params: { path: { code: mineralCode } } }),
  );
  print(`10. inventory ${mineralCode}:`, `onHand ${after.onHand} ${after.unit} (was ${before.onHand})`);
}

main().catch((error: unknown) => {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
