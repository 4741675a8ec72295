import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
import { addScalars } from './scalars.js';
import './errors.js';
import '../modules/accounts/accounts.graphql.js';
import '../modules/system/system.graphql.js';

addScalars(builder);
builder.queryType({ description: 'Read operations. Lists are Relay connections.' });

/** The executable schema. Pure: no environment, no connections (codegen and tests import it). */
export const schema: GraphQLSchema = builder.toSchema({ sortSchema: true });

/** The printed, sorted SDL kept in schema.graphql. */
export function printSortedSchema(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
