import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
import { addScalars } from './scalars.js';
import './errors.js';
import './node-lookup.js';
import '../modules/accounts/accounts.graphql.js';
import '../modules/system/system.graphql.js';
import '../modules/market-data/market-data.graphql.js';
import '../modules/strategies/strategies.graphql.js';
import '../modules/backtests/backtests.graphql.js';
import '../modules/backtests/backtest-events.graphql.js';

addScalars(builder);
builder.queryType({ description: 'Read operations. Lists are Relay connections.' });
builder.mutationType({ description: 'Write operations. Each returns its payload or a typed error.' });

/** The executable schema. Pure: no environment, no connections (codegen and tests import it). */
export const schema: GraphQLSchema = builder.toSchema({ sortSchema: true });

/** The printed, sorted SDL kept in schema.graphql. */
export function printSortedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
