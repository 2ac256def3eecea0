import type { PriorityClass } from '../agreements/agreements.table.js';

/**
 * The rationing rule of an allocation round, as one pure function over integer thousandths of the
 * mineral's unit (bigint): exact, no floating point, and independent of the order the draws come in.
 */

/** Classes in the order they are served. */
export const CLASS_ORDER: readonly PriorityClass[] = ['DX', 'DO', 'unrated'];

/** A quantity string with at most 3 fractional digits (as stored) → thousandths. */
export function toThousandths(value: string): bigint {
  const negative = value.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? value.slice(1) : value).split('.');
  if (fraction.length > 3 && /[1-9]/.test(fraction.slice(3))) {
    throw new Error(`${value} has more than 3 fractional digits`);
  }
  const units = BigInt(whole || '0') * 1000n + BigInt((fraction.slice(0, 3) || '').padEnd(3, '0'));
  return negative ? -units : units;
}

/** Thousandths → a normalised quantity string ("12.5", "0"). */
export function fromThousandths(value: bigint): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = abs / 1000n;
  const fraction = (abs % 1000n).toString().padStart(3, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

export interface QueuedDraw {
  id: string;
  companyId: string;
  /** The class locked on the draw at submission. */
  priorityClass: PriorityClass;
  /** The requested quantity, in thousandths (> 0). */
  quantity: bigint;
  /** createdAt as returned (milliseconds). */
  createdAtMs: number;
  /** maxOutstanding of the agreement the draw was submitted under, in thousandths (> 0). */
  weight: bigint;
  /** False when the company is suspended or has an overdue obligation as the round runs. */
  eligible: boolean;
}

export type DecisionReason = 'not eligible' | 'not allocated';

export interface DrawDecision {
  drawId: string;
  companyId: string;
  priorityClass: PriorityClass;
  requested: bigint;
  allocated: bigint;
  /** Why a draw got nothing; null when it got an allocation. */
  reason: DecisionReason | null;
}

export interface Rationing {
  /** Every draw, in class order, then createdAt, then id. */
  decisions: DrawDecision[];
  requestedTotal: bigint;
  allocatedTotal: bigint;
}

/** A (company, class) claim: its draws, the sum they ask for, and its weight. */
export interface Claim {
  companyId: string;
  priorityClass: PriorityClass;
  /** Oldest first (createdAt, then id). */
  draws: QueuedDraw[];
  asked: bigint;
  /** The weight of the agreement under which the claim's earliest draw was submitted. */
  weight: bigint;
  /** createdAt of the claim's earliest draw, for ties. */
  earliestMs: number;
}

const byAge = (a: QueuedDraw, b: QueuedDraw) =>
  a.createdAtMs - b.createdAtMs || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

const classRank = (c: PriorityClass) => CLASS_ORDER.indexOf(c);

/**
 * Shares `supply` among claims of one class that together ask for more than it (water-filling), and
 * returns each claim's share in the claims' order. With λ = R'/Σw over the claims not yet met, a claim
 * with q ≤ λ·w is met in full; λ only grows as such claims leave, so taking claims by increasing q/w
 * reaches the same fixed point as removing them in rounds. The others get ⌊λ·w⌋ and the leftover
 * thousandths go to the largest remainders (exact: they share the denominator Σw), ties to the
 * earliest claim, then the smaller company id.
 */
export function waterFill(claims: readonly Claim[], supply: bigint): bigint[] {
  const shares = claims.map(() => 0n);
  // q/w ascending, compared exactly by cross-multiplication.
  const order = claims
    .map((_, i) => i)
    .sort((i, j) => {
      const a = claims[i]!;
      const b = claims[j]!;
      const l = a.asked * b.weight;
      const r = b.asked * a.weight;
      return l < r ? -1 : l > r ? 1 : 0;
    });
  let rest = supply;
  let weights = 0n;
  for (const c of claims) weights += c.weight;
  let k = 0;
  for (; k < order.length; k++) {
    const c = claims[order[k]!]!;
    // q ≤ λ·w  ⇔  q·Σw ≤ R'·w
    if (c.asked * weights > rest * c.weight) break;
    shares[order[k]!] = c.asked;
    rest -= c.asked;
    weights -= c.weight;
  }
  if (k === order.length) return shares;
  const unmet = order.slice(k);
  let given = 0n;
  const remainders = new Map<number, bigint>();
  for (const i of unmet) {
    const exact = rest * claims[i]!.weight;
    shares[i] = exact / weights;
    remainders.set(i, exact % weights);
    given += shares[i]!;
  }
  let leftover = rest - given;
  const byRemainder = [...unmet].sort((i, j) => {
    const ri = remainders.get(i)!;
    const rj = remainders.get(j)!;
    if (ri !== rj) return ri > rj ? -1 : 1;
    const a = claims[i]!;
    const b = claims[j]!;
    if (a.earliestMs !== b.earliestMs) return a.earliestMs - b.earliestMs;
    return a.companyId < b.companyId ? -1 : a.companyId > b.companyId ? 1 : 0;
  });
  for (const i of byRemainder) {
    if (leftover === 0n) break;
    shares[i]! += 1n;
    leftover -= 1n;
  }
  return shares;
}

/** Groups eligible draws into (company, class) claims, each with its draws oldest first. */
export function claimsOf(draws: readonly QueuedDraw[]): Claim[] {
  const byKey = new Map<string, QueuedDraw[]>();
  for (const d of draws) {
    const key = `${d.priorityClass}|${d.companyId}`;
    const list = byKey.get(key);
    if (list) list.push(d);
    else byKey.set(key, [d]);
  }
  const claims: Claim[] = [];
  for (const list of byKey.values()) {
    list.sort(byAge);
    const first = list[0]!;
    let asked = 0n;
    for (const d of list) asked += d.quantity;
    claims.push({
      companyId: first.companyId,
      priorityClass: first.priorityClass,
      draws: list,
      asked,
      weight: first.weight,
      earliestMs: first.createdAtMs,
    });
  }
  // A canonical order, so nothing downstream depends on the order the draws were passed in.
  return claims.sort(
    (a, b) =>
      classRank(a.priorityClass) - classRank(b.priorityClass) ||
      a.earliestMs - b.earliestMs ||
      (a.companyId < b.companyId ? -1 : a.companyId > b.companyId ? 1 : 0),
  );
}

/**
 * The round's rule: ineligible draws get nothing ("not eligible"); classes are served DX, DO, unrated
 * from `supply` (thousandths): a class whose claims fit is met in full, the first that does not shares
 * what is left by `waterFill`, and the classes after it get nothing. Each claim's share is handed to its
 * draws oldest first; a draw left with 0 is "not allocated".
 */
export function ration(draws: readonly QueuedDraw[], supply: bigint): Rationing {
  const allocated = new Map<string, bigint>();
  let rest = supply;
  const claims = claimsOf(draws.filter((d) => d.eligible));
  for (const cls of CLASS_ORDER) {
    const inClass = claims.filter((c) => c.priorityClass === cls);
    if (inClass.length === 0) continue;
    let total = 0n;
    for (const c of inClass) total += c.asked;
    const shares = total <= rest ? inClass.map((c) => c.asked) : waterFill(inClass, rest);
    inClass.forEach((claim, i) => {
      let share = shares[i]!;
      for (const d of claim.draws) {
        const take = share < d.quantity ? share : d.quantity;
        allocated.set(d.id, take);
        share -= take;
      }
    });
    rest = total <= rest ? rest - total : 0n;
  }
  const decisions = [...draws]
    .sort((a, b) => classRank(a.priorityClass) - classRank(b.priorityClass) || byAge(a, b))
    .map((d): DrawDecision => {
      const given = d.eligible ? (allocated.get(d.id) ?? 0n) : 0n;
      return {
        drawId: d.id,
        companyId: d.companyId,
        priorityClass: d.priorityClass,
        requested: d.quantity,
        allocated: given,
        reason: !d.eligible ? 'not eligible' : given === 0n ? 'not allocated' : null,
      };
    });
  let requestedTotal = 0n;
  let allocatedTotal = 0n;
  for (const d of decisions) {
    requestedTotal += d.requested;
    allocatedTotal += d.allocated;
  }
  return { decisions, requestedTotal, allocatedTotal };
}
