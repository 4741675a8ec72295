import { DateTimeResolver, JSONResolver } from 'graphql-scalars';
import type { builder as Builder } from './builder.js';

/** DateTime: ISO 8601 in UTC on output; any ISO 8601 with offset on input. JSON: free-form. */
export function addScalars(builder: typeof Builder): void {
  builder.addScalarType('DateTime', DateTimeResolver, {});
  builder.addScalarType('JSON', JSONResolver, {});
}
