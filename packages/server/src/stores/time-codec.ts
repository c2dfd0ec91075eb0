/**
 * How a dialect stores a point in time: SQLite as epoch milliseconds, PostgreSQL as a
 * `timestamptz` that the driver already reads as a Date. The shared row mappers take one of these
 * so that the mapping itself is written once.
 */
export interface TimeCodec<T> {
  toDb(date: Date): T;
  fromDb(value: T): Date;
}

/** SQLite: integer epoch milliseconds. */
export const epochMs: TimeCodec<number> = {
  toDb: (date) => date.getTime(),
  fromDb: (value) => new Date(value),
};

/** PostgreSQL: the driver reads and writes Date objects as they are. */
export const nativeDate: TimeCodec<Date> = {
  toDb: (date) => date,
  fromDb: (value) => value,
};
