import { describe, expect, it } from '@jest/globals';
import { isEnumType, isInputObjectType, isInterfaceType, isObjectType, isScalarType, isSpecifiedScalarType, isUnionType, type GraphQLNamedType } from 'graphql';
import { schema } from '../../src/graphql/schema.js';

/**
 * GraphiQL is the documentation frontend teams read: every public type, field, argument,
 * input field and enum value says what it is. Lists every place that does not.
 */
function missingDescriptions(): string[] {
  const missing: string[] = [];
  const check = (where: string, description: string | null | undefined) => {
    if (!description || description.trim() === '') missing.push(where);
  };
  const types = Object.values(schema.getTypeMap()).filter((t: GraphQLNamedType) => !t.name.startsWith('__') && !(isScalarType(t) && isSpecifiedScalarType(t)));
  for (const type of types) {
    check(type.name, type.description);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        check(`${type.name}.${field.name}`, field.description);
        for (const arg of field.args) check(`${type.name}.${field.name}(${arg.name})`, arg.description);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) check(`${type.name}.${field.name}`, field.description);
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) check(`${type.name}.${value.name}`, value.description);
    } else if (isUnionType(type)) {
      // A union is described by its own description (checked above) and its members'.
    }
  }
  return missing;
}

describe('schema documentation', () => {
  it('describes every public type, field, argument, input field and enum value', () => {
    expect(missingDescriptions()).toEqual([]);
  });
});
