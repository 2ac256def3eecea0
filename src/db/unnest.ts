import { type SQL, sql } from 'drizzle-orm';

/**
 * How a column's values travel: joined by a separator, with an optional mark for null (as in COPY's
 * text format). A value must not contain the separator, be the null mark, or be empty (a one-row column
 * of '' would split into no element at all): such a value is refused here rather than split wrongly
 * there.
 */
export interface ColumnFormat {
  separator: string;
  nullMark: string | null;
}

/** For ids, integers, codes, decimals and words: none contains a comma. */
export const COMMA_SEPARATED: ColumnFormat = { separator: ',', nullMark: '\\N' };

/**
 * For JSON text (and anything printable): the ASCII unit separator, which JSON text never holds raw
 * (JSON escapes every control character inside strings). No null mark: every value is a text, so a
 * request id that reads `\N` stays one.
 */
export const UNIT_SEPARATED: ColumnFormat = { separator: '\x1f', nullMark: null };

/**
 * One column of a set-based write (`… FROM unnest(col1::uuid[], col2::numeric[], …) AS v(…)`) as ONE
 * text parameter, split back into an array by `string_to_array`. Whatever the row count, a statement
 * takes one parameter per column (a multi-row VALUES list reaches the protocol's 65,535-parameter limit
 * at a few thousand rows), and PostgreSQL splits these about three times faster than it reads the same
 * rows from a JSON array (`json_to_recordset`), at 10,000 rows.
 *
 * In a prepared statement (src/db/prepared.ts) the column is `textColumn('name')`, and the value of
 * its placeholder `name` is `columnText(values)`, in the same format.
 */
export function textColumn(placeholder: string, format: ColumnFormat = COMMA_SEPARATED): SQL {
  const text = sql`${sql.placeholder(placeholder)}::text`;
  return format.nullMark === null
    ? sql`string_to_array(${text}, ${format.separator}::text)`
    : sql`string_to_array(${text}, ${format.separator}::text, ${format.nullMark}::text)`;
}

/** The parameter of a `textColumn`. */
export function columnText(
  values: readonly (string | number | null)[],
  format: ColumnFormat = COMMA_SEPARATED,
): string {
  const { separator, nullMark } = format;
  return values
    .map((value) => {
      if (value === null) {
        if (nullMark === null) throw new Error('a null cannot travel in this column');
        return nullMark;
      }
      if (typeof value === 'string' && (value === '' || value === nullMark || value.includes(separator))) {
        throw new Error(
          `${JSON.stringify(value)} cannot travel in a ${JSON.stringify(separator)}-separated column`,
        );
      }
      return value;
    })
    .join(separator);
}
