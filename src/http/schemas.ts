import { z } from 'zod';
import { dec } from '../domain/decimal.js';
import { PROBLEM_KINDS, type ProblemFields } from '../domain/errors.js';

/** Shared request/response building blocks. Decimals are strings on the wire, always. */

const decimalPattern = (fractionDigits: number, signed = false) =>
  new RegExp(`^${signed ? '-?' : ''}\\d{1,15}(\\.\\d{1,${fractionDigits}})?$`);

const decimalMessage = (fractionDigits: number) =>
  `must be a decimal string with at most 15 integer and ${fractionDigits} fractional digits, e.g. "12.5"`;

/** A requested quantity: > 0, at most 3 fractional digits, no exponent, no sign. */
export const Quantity = z
  .string()
  .regex(decimalPattern(3), { message: decimalMessage(3), abort: true })
  .refine((v) => dec(v).gt(0), 'must be greater than 0')
  .meta({ example: '12.5', description: 'Decimal string, > 0, at most 3 fractional digits' });

export const NonNegativeQuantity = z
  .string()
  .regex(decimalPattern(3), { message: decimalMessage(3), abort: true })
  .meta({ example: '250', description: 'Decimal string, >= 0, at most 3 fractional digits' });

export const SignedQuantity = z
  .string()
  .regex(decimalPattern(3, true), { message: decimalMessage(3), abort: true })
  .refine((v) => !dec(v).isZero(), 'must not be zero')
  .meta({ example: '-1.25', description: 'Signed decimal string, non-zero, at most 3 fractional digits' });

export const UnitPrice = z
  .string()
  .regex(decimalPattern(4), decimalMessage(4))
  .meta({ example: '110.0000', description: 'Decimal string, at most 4 fractional digits' });

export const Money = z
  .string()
  .regex(decimalPattern(2), decimalMessage(2))
  .meta({ example: '1250.00', description: 'Decimal string, at most 2 fractional digits' });

export const Percent = z
  .string()
  .regex(/^\d{1,3}(\.\d{1,2})?$/, {
    message: 'must be a decimal string with at most 2 fractional digits',
    abort: true,
  })
  .refine((v) => dec(v).lte(100), 'must be between 0 and 100')
  .meta({ example: '2.5' });

/** Output decimals (already normalised by the service). */
export const DecimalOut = z.string().meta({ example: '12.5' });

export const Uuid = z.uuid().meta({ example: '0b6f3c2e-8d1a-4f4e-9c57-2a8e5d7b1f40' });
export const MineralCode = z
  .string()
  .regex(/^[A-Z0-9_]{2,32}$/, 'must match ^[A-Z0-9_]{2,32}$')
  .meta({ example: 'GA', description: 'Mineral code, e.g. `GA` (gallium) or `NDPR_OXIDE`' });
export const Country = z
  .string()
  .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code in upper case')
  .meta({ example: 'AU' });

/** A UTF-16 surrogate without its partner: not a character, and not representable in UTF-8/JCS. */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** True when `v` holds a C0 control, DEL or a C1 control (tab and line breaks allowed if `lines`). */
export function hasControlCharacter(v: string, lines = false): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (lines && (c === 0x09 || c === 0x0a || c === 0x0d)) continue;
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

const text = (maxLength: number, lines: boolean, controlMessage: string) =>
  z
    .string()
    .min(1)
    .max(maxLength)
    .refine((v) => !LONE_SURROGATE.test(v), {
      message: 'must be valid Unicode (no lone surrogates)',
      abort: true,
    })
    .refine((v) => !hasControlCharacter(v, lines), controlMessage)
    .refine((v) => v.trim().length > 0, 'must not be blank');

/**
 * Free text (notes, reasons, grades): length limits, valid Unicode, not blank, no control characters
 * but tab and line breaks (NUL in particular: PostgreSQL text cannot hold it).
 */
export const Text = (maxLength: number) =>
  text(maxLength, true, 'must not contain control characters other than tab and line breaks');

/** A name shown on one line: like `Text`, and no control characters at all. */
export const Name = (maxLength: number) => text(maxLength, false, 'must not contain control characters');

/** PostgreSQL and our outputs handle years 1–9999 (ISO 8601 without expansion). */
const inRecordableYears = (v: string) => {
  const year = new Date(v).getUTCFullYear();
  return year >= 1 && year <= 9999;
};

export const Timestamp = z.iso
  .datetime({ offset: true })
  .refine(inRecordableYears, 'must be a date between the years 0001 and 9999 (UTC)')
  .meta({ example: '2026-02-04T19:34:32.000Z' });
export const TimestampOut = z.string().meta({ example: '2026-02-04T19:34:32.000Z' });

export const PageQuery = {
  // Strict digits only: no exponent (`1e2`), hex (`0x10`), sign or spaces (`" 5"`).
  limit: z
    .string()
    .regex(/^[0-9]{1,3}$/, 'must be an integer from 1 to 200, in plain digits')
    .transform(Number)
    .pipe(z.number().int().min(1).max(200))
    .default(50),
  cursor: z.string().min(1).max(512).optional(),
};

export const page = <T extends z.ZodType>(item: T) =>
  z.object({ data: z.array(item), nextCursor: z.string().nullable() });

export const IdParams = z.strictObject({ id: Uuid });

const figure = (description: string, example: string) => z.string().optional().meta({ description, example });

/**
 * The figures behind a refusal (`ProblemFields` in `src/domain/errors.ts`), as RFC 9457 extension
 * members: each documented, none required, so every problem still matches the schema. Typed against
 * `ProblemFields`, so a member added there without a description here does not compile.
 */
const PROBLEM_FIELDS = {
  mineralCode: figure(
    'The mineral concerned: on every refusal of a draw submission, on `insufficient-stock` (draws, fulfilment, rounds, lot adjustments below the holds)',
    'GA',
  ),
  lotId: figure(
    '`insufficient-stock` on one lot (explicit fulfilment allocations, lot adjustments): the lot',
    '3f1c9a52-7be4-4d0e-a4d9-1c2b3d4e5f60',
  ),
  requested: figure(
    'The quantity asked for: the draw (`insufficient-stock`, `entitlement-exceeded`, fulfilment), one explicit allocation from a lot, the supply of an allocation round, or a delivery (`exceeds-outstanding`)',
    '120',
  ),
  drawable: figure(
    "`insufficient-stock` on a draw or an allocation round: what is drawable now (on hand − reserved − the strategic floor; at `emergency` an allocation round's floor is released)",
    '40',
  ),
  quantityOnHand: figure(
    "`insufficient-stock` on one lot: what the lot holds (`0` for a lot that holds none of the draw's mineral)",
    '10',
  ),
  onHand: figure(
    "`insufficient-stock`: the mineral's on-hand stock (a lot adjustment below the holds; a fulfilment its lots cannot cover)",
    '1000',
  ),
  reserved: figure(
    '`insufficient-stock` on a lot adjustment: what is held for open draws of the mineral',
    '250',
  ),
  cap: figure(
    "`entitlement-exceeded`: the cap on held + queued + outstanding + requested: the routine share of the agreement's `maxOutstanding`, or all of it at `emergency`",
    '500',
  ),
  held: figure("`entitlement-exceeded`: the company's pending and approved draws of the mineral", '300'),
  queued: figure("`entitlement-exceeded`: the company's queued draws of the mineral", '0'),
  outstanding: figure(
    "`entitlement-exceeded`: the outstanding quantity (premium included) of the company's unsettled obligations for the mineral; `exceeds-outstanding`: the obligation's outstanding quantity",
    '102.5',
  ),
  remaining: figure(
    '`entitlement-exceeded`: how much more may be drawn now, max(0, cap − held − queued − outstanding)',
    '97.5',
  ),
} satisfies Record<keyof Required<ProblemFields>, z.ZodOptional<z.ZodString>>;

export const ProblemSchema = z
  .object({
    type: z.enum(PROBLEM_KINDS.map((kind) => `/problems/${kind}` as const)).meta({
      description: 'A URI reference ending in the problem slug; clients match on the slug',
      example: '/problems/insufficient-stock',
    }),
    title: z.string().meta({ example: 'Insufficient stock' }),
    status: z.number().int().min(400).max(599).meta({ example: 409 }),
    detail: z.string().meta({ example: 'GA: 120 kg requested, 40 kg drawable.' }),
    requestId: z.string().meta({ example: '7d0c1b9e-3a54-4f0e-8b1a-6c2f9e4d5a31' }),
    ...PROBLEM_FIELDS,
    errors: z
      .array(
        z.object({
          path: z.string().meta({ example: 'quantity' }),
          message: z.string().meta({ example: 'must be greater than 0' }),
        }),
      )
      .optional()
      .meta({ description: 'One entry per invalid field (validation errors only)' }),
  })
  .meta({
    id: 'Problem',
    description:
      'RFC 9457 problem details. `type` ends in one of the slugs: ' +
      PROBLEM_KINDS.map((kind) => `\`${kind}\``).join(', ') +
      '. Refusals that turn on numbers also carry them as extension members (`requested`, `drawable`, ' +
      '`cap`, `remaining`, …; decimal strings), so clients need not parse `detail`.',
  });
