import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'A point in time, as an ISO 8601 string in UTC (e.g. 2026-11-25T16:00:00.000Z).',
  serialize(value) {
    const date = value instanceof Date ? value : new Date(String(value));
    if (Number.isNaN(date.getTime())) throw new GraphQLError('DateTime cannot represent an invalid date.');
    return date.toISOString();
  },
  parseValue(value) {
    return parseDate(value);
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be an ISO 8601 string.');
    return parseDate(ast.value);
  },
});

function parseDate(value: unknown): Date {
  const date = typeof value === 'string' ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(date.getTime())) throw new GraphQLError('DateTime must be an ISO 8601 string.');
  return date;
}

export const LongScalar = new GraphQLScalarType<number, number>({
  name: 'Long',
  description: 'A byte count: a JSON number, exact up to 2^53 - 1.',
  serialize(value) {
    const number = typeof value === 'bigint' ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isSafeInteger(number)) {
      throw new GraphQLError('Long cannot represent a value that is not a safe integer.');
    }
    return number;
  },
  parseValue(value) {
    return parseLong(value);
  },
  parseLiteral(ast) {
    if (ast.kind !== Kind.INT) throw new GraphQLError('Long must be a whole number.');
    return parseLong(Number(ast.value));
  },
});

function parseLong(value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new GraphQLError('Long must be a non-negative whole number no larger than 2^53 - 1.');
  }
  return value;
}
