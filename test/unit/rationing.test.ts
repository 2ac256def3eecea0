import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PriorityClass } from '../../src/modules/agreements/agreements.table.js';
import {
  CLASS_ORDER,
  fromThousandths,
  type QueuedDraw,
  ration,
  toThousandths,
} from '../../src/modules/allocation-rounds/allocation-rounds.rules.js';

/** Company ids that sort in index order, so tie-breaks are easy to read. */
const companyId = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

const drawArb = fc.record({
  company: fc.integer({ min: 0, max: 5 }),
  priorityClass: fc.constantFrom<PriorityClass>('DX', 'DO', 'unrated'),
  quantity: fc.bigInt({ min: 1n, max: 2_000_000n }),
  createdAtMs: fc.integer({ min: 0, max: 20 }),
  weight: fc.bigInt({ min: 1n, max: 5_000_000n }),
  eligible: fc.integer({ min: 0, max: 9 }).map((n) => n < 8),
});

const queueArb = fc.array(drawArb, { minLength: 1, maxLength: 40 }).map((list) =>
  list.map(
    (d, i): QueuedDraw => ({
      id: `d-${String(i).padStart(4, '0')}`,
      companyId: companyId(d.company),
      priorityClass: d.priorityClass,
      quantity: d.quantity,
      createdAtMs: d.createdAtMs,
      weight: d.weight,
      eligible: d.eligible,
    }),
  ),
);

const roundArb = queueArb.chain((draws) => {
  const total = draws.reduce((s, d) => s + d.quantity, 0n);
  return fc.tuple(fc.constant(draws), fc.bigInt({ min: 1n, max: total + total / 2n + 1n }));
});

interface ClaimOut {
  cls: PriorityClass;
  company: string;
  asked: bigint;
  got: bigint;
  weight: bigint;
}

/** Claims as the rule defines them, with what the round gave each. */
function claimsOut(draws: QueuedDraw[], allocated: Map<string, bigint>): ClaimOut[] {
  const byKey = new Map<string, QueuedDraw[]>();
  for (const d of draws.filter((x) => x.eligible)) {
    const key = `${d.priorityClass}|${d.companyId}`;
    byKey.set(key, [...(byKey.get(key) ?? []), d]);
  }
  return [...byKey.values()].map((list) => {
    const sorted = [...list].sort((a, b) => a.createdAtMs - b.createdAtMs || (a.id < b.id ? -1 : 1));
    return {
      cls: sorted[0]!.priorityClass,
      company: sorted[0]!.companyId,
      asked: sorted.reduce((s, d) => s + d.quantity, 0n),
      got: sorted.reduce((s, d) => s + allocated.get(d.id)!, 0n),
      weight: sorted[0]!.weight,
    };
  });
}

function shuffle<T>(list: T[], seed: number): T[] {
  const out = [...list];
  let x = seed || 1;
  for (let i = out.length - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('rationing (allocation round rule)', () => {
  it('converts thousandths exactly', () => {
    expect(toThousandths('12.5')).toBe(12500n);
    expect(toThousandths('0.001')).toBe(1n);
    expect(toThousandths('7')).toBe(7000n);
    expect(toThousandths('3.250')).toBe(3250n);
    expect(fromThousandths(12500n)).toBe('12.5');
    expect(fromThousandths(0n)).toBe('0');
    expect(fromThousandths(1n)).toBe('0.001');
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 18n }), (n) => toThousandths(fromThousandths(n)) === n),
    );
  });

  it('hands out min(supply, Σ eligible requests), never more than a draw asked, nothing to the ineligible', () => {
    fc.assert(
      fc.property(roundArb, ([draws, supply]) => {
        const result = ration(draws, supply);
        const eligibleAsk = draws.filter((d) => d.eligible).reduce((s, d) => s + d.quantity, 0n);
        expect(result.allocatedTotal).toBe(supply < eligibleAsk ? supply : eligibleAsk);
        expect(result.requestedTotal).toBe(draws.reduce((s, d) => s + d.quantity, 0n));
        expect(result.decisions).toHaveLength(draws.length);
        for (const d of result.decisions) {
          const input = draws.find((x) => x.id === d.drawId)!;
          expect(d.allocated >= 0n && d.allocated <= d.requested).toBe(true);
          expect(d.requested).toBe(input.quantity);
          if (!input.eligible) expect(d).toMatchObject({ allocated: 0n, reason: 'not eligible' });
          else expect(d.reason).toBe(d.allocated === 0n ? 'not allocated' : null);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('meets a higher class in full before a lower class gets anything', () => {
    fc.assert(
      fc.property(roundArb, ([draws, supply]) => {
        const allocated = new Map(ration(draws, supply).decisions.map((d) => [d.drawId, d.allocated]));
        const claims = claimsOut(draws, allocated);
        for (const [i, cls] of CLASS_ORDER.entries()) {
          const short = claims.some((c) => c.cls === cls && c.got < c.asked);
          if (!short) continue;
          for (const lower of CLASS_ORDER.slice(i + 1)) {
            expect(claims.filter((c) => c.cls === lower).every((c) => c.got === 0n)).toBe(true);
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it('within the class that runs short: exact weighted shares λ·w, rounded by < 0.001; no met claim above its share', () => {
    fc.assert(
      fc.property(roundArb, ([draws, supply]) => {
        const allocated = new Map(ration(draws, supply).decisions.map((d) => [d.drawId, d.allocated]));
        const claims = claimsOut(draws, allocated);
        for (const cls of CLASS_ORDER) {
          const inClass = claims.filter((c) => c.cls === cls);
          let unmet = inClass.filter((c) => c.got < c.asked);
          if (unmet.length === 0) continue;
          // R' = what the sharing claims share; λ = R' / Σw over them (a fraction: rest / weights).
          const sharing = () => ({
            rest: unmet.reduce((s, c) => s + c.got, 0n),
            weights: unmet.reduce((s, c) => s + c.weight, 0n),
          });
          // A sharing claim whose ask exceeds λ·w by less than 0.001 may get its ask exactly through a
          // leftover thousandth: it looks met, but it shared. Such claims ask more than λ·w, which no
          // claim met by water-filling does, so they are found as a fixed point.
          for (;;) {
            const { rest, weights } = sharing();
            const hidden = inClass.filter(
              (c) => c.got === c.asked && !unmet.includes(c) && c.asked * weights > rest * c.weight,
            );
            if (hidden.length === 0) break;
            unmet = [...unmet, ...hidden];
          }
          const { rest, weights } = sharing();
          if (rest === 0n) continue; // the class got nothing: a higher class took it all
          for (const c of unmet) {
            // |got − λ·w| < 0.001  ⇔  |got·Σw − R'·w| < Σw
            const diff = c.got * weights - rest * c.weight;
            expect(diff < weights && diff > -weights, `${cls} claim ${c.company}`).toBe(true);
          }
          for (const c of inClass.filter((x) => x.got === x.asked && !unmet.includes(x))) {
            // met in full only if q ≤ λ·w
            expect(c.asked * weights <= rest * c.weight).toBe(true);
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it('hands a claim to its draws oldest first', () => {
    fc.assert(
      fc.property(roundArb, ([draws, supply]) => {
        const allocated = new Map(ration(draws, supply).decisions.map((d) => [d.drawId, d.allocated]));
        const byClaim = new Map<string, QueuedDraw[]>();
        for (const d of draws.filter((x) => x.eligible)) {
          const key = `${d.priorityClass}|${d.companyId}`;
          byClaim.set(key, [...(byClaim.get(key) ?? []), d]);
        }
        for (const list of byClaim.values()) {
          const sorted = [...list].sort((a, b) => a.createdAtMs - b.createdAtMs || (a.id < b.id ? -1 : 1));
          // full, full, …, partial (maybe), 0, 0, …
          let seenShort = false;
          for (const d of sorted) {
            const got = allocated.get(d.id)!;
            if (seenShort) expect(got).toBe(0n);
            if (got < d.quantity) seenShort = true;
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('does not depend on the order the draws are passed in', () => {
    fc.assert(
      fc.property(roundArb, fc.integer({ min: 1, max: 1_000_000 }), ([draws, supply], seed) => {
        expect(ration(shuffle(draws, seed), supply)).toEqual(ration(draws, supply));
      }),
      { numRuns: 300 },
    );
  });

  it('lists decisions in class order, then createdAt, then id', () => {
    fc.assert(
      fc.property(roundArb, ([draws, supply]) => {
        const byId = new Map(draws.map((d) => [d.id, d]));
        const keys = ration(draws, supply).decisions.map((d) => {
          const x = byId.get(d.drawId)!;
          return [CLASS_ORDER.indexOf(x.priorityClass), x.createdAtMs, x.id] as const;
        });
        const sorted = [...keys].sort((a, b) => a[0] - b[0] || a[1] - b[1] || (a[2] < b[2] ? -1 : 1));
        expect(keys).toEqual(sorted);
      }),
      { numRuns: 200 },
    );
  });

  it('matches the rule run literally (rounds of λ, largest remainders with the tie-breaks)', () => {
    fc.assert(
      fc.property(roundArb, ([draws, supply]) => {
        expect(ration(draws, supply).decisions.map((d) => d.allocated)).toEqual(literal(draws, supply));
      }),
      { numRuns: 400 },
    );
  });

  it('gives the figures of the worked example in docs/crisis.md', () => {
    const q = (
      id: string,
      company: number,
      cls: PriorityClass,
      asks: number,
      weight: number,
      at: number,
    ): QueuedDraw => ({
      id,
      companyId: companyId(company),
      priorityClass: cls,
      quantity: BigInt(asks) * 1000n,
      createdAtMs: at,
      weight: BigInt(weight) * 1000n,
      eligible: true,
    });
    const queue = [
      q('meridian', 1, 'DX', 30, 300, 1),
      q('helios', 2, 'DO', 20, 100, 2),
      q('boreal-1', 3, 'DO', 150, 300, 3),
      q('cobalt', 4, 'DO', 100, 100, 4),
      q('boreal-2', 3, 'DO', 50, 300, 5),
      q('aurora', 5, 'unrated', 40, 800, 6),
    ];
    const at = (supply: number) =>
      Object.fromEntries(
        ration(queue, BigInt(supply) * 1000n).decisions.map((d) => [d.drawId, fromThousandths(d.allocated)]),
      );
    expect(at(120)).toEqual({
      meridian: '30',
      helios: '18',
      'boreal-1': '54',
      cobalt: '18',
      'boreal-2': '0',
      aurora: '0',
    });
    expect(at(150)).toEqual({
      meridian: '30',
      helios: '20',
      'boreal-1': '75',
      cobalt: '25',
      'boreal-2': '0',
      aurora: '0',
    });
  });

  it('breaks remainder ties by the earliest claim, then the smaller company id', () => {
    const q = (id: string, company: number, createdAtMs: number): QueuedDraw => ({
      id,
      companyId: companyId(company),
      priorityClass: 'DO',
      quantity: 1000n,
      createdAtMs,
      weight: 1000n,
      eligible: true,
    });
    // 0.002 among three equal claims: the two earliest get 0.001.
    expect(
      ration([q('a', 2, 5), q('b', 1, 9), q('c', 3, 1)], 2n).decisions.map((d) => [d.drawId, d.allocated]),
    ).toEqual([
      ['c', 1n],
      ['a', 1n],
      ['b', 0n],
    ]);
    // Same createdAt: the smaller company id.
    expect(ration([q('a', 2, 5), q('b', 1, 5), q('c', 3, 5)], 1n).decisions.map((d) => d.allocated)).toEqual([
      0n,
      1n,
      0n,
    ]);
  });
});

/** The contract's wording, executed naively with exact fractions, draw by draw. */
function literal(draws: QueuedDraw[], supply: bigint): bigint[] {
  const ordered = [...draws].sort(
    (a, b) =>
      CLASS_ORDER.indexOf(a.priorityClass) - CLASS_ORDER.indexOf(b.priorityClass) ||
      a.createdAtMs - b.createdAtMs ||
      (a.id < b.id ? -1 : 1),
  );
  type C = { key: string; draws: QueuedDraw[]; q: bigint; w: bigint; first: QueuedDraw; give: bigint };
  const claims = new Map<string, C>();
  for (const d of ordered.filter((x) => x.eligible)) {
    const key = `${d.priorityClass}|${d.companyId}`;
    const c = claims.get(key);
    if (c) {
      c.draws.push(d);
      c.q += d.quantity;
    } else claims.set(key, { key, draws: [d], q: d.quantity, w: d.weight, first: d, give: 0n });
  }
  let R = supply;
  for (const cls of CLASS_ORDER) {
    const inClass = [...claims.values()].filter((c) => c.first.priorityClass === cls);
    const T = inClass.reduce((s, c) => s + c.q, 0n);
    if (T <= R) {
      for (const c of inClass) c.give = c.q;
      R -= T;
      continue;
    }
    let open = [...inClass];
    let Rp = R;
    for (;;) {
      const W = open.reduce((s, c) => s + c.w, 0n);
      const met = open.filter((c) => c.q * W <= Rp * c.w);
      if (met.length === 0) break;
      for (const c of met) {
        c.give = c.q;
        Rp -= c.q;
      }
      open = open.filter((c) => !met.includes(c));
      if (open.length === 0) break;
    }
    if (open.length > 0) {
      const W = open.reduce((s, c) => s + c.w, 0n);
      let left = Rp;
      for (const c of open) {
        c.give = (Rp * c.w) / W;
        left -= c.give;
      }
      const ranked = [...open].sort((a, b) => {
        const ra = (Rp * a.w) % W;
        const rb = (Rp * b.w) % W;
        if (ra !== rb) return ra > rb ? -1 : 1;
        if (a.first.createdAtMs !== b.first.createdAtMs) return a.first.createdAtMs - b.first.createdAtMs;
        return a.first.companyId < b.first.companyId ? -1 : 1;
      });
      for (let i = 0; left > 0n; i++, left--) ranked[i]!.give += 1n;
    }
    R = 0n;
  }
  const out = new Map<string, bigint>();
  for (const c of claims.values()) {
    let share = c.give;
    for (const d of c.draws) {
      const take = share < d.quantity ? share : d.quantity;
      out.set(d.id, take);
      share -= take;
    }
  }
  return ordered.map((d) => out.get(d.id) ?? 0n);
}
