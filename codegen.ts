import type { CodegenConfig } from '@graphql-codegen/cli';

// Types the operations a frontend would write (examples/*.graphql) against the printed
// schema. Offline: reads schema.graphql, never a running server. The tests execute these
// typed documents, so an example that stops matching the schema fails the suite.
const config: CodegenConfig = {
  schema: 'schema.graphql',
  documents: ['examples/**/*.graphql'],
  ignoreNoDocuments: false,
  emitLegacyCommonJSImports: false,
  generates: {
    'examples/generated/': {
      preset: 'client',
      // persisted-documents.json: the operations a GRAPHQL_PERSISTED_ONLY deployment runs (by hash).
      presetConfig: { fragmentMasking: false, persistedDocuments: true },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string', JSON: 'unknown' },
      },
    },
  },
  hooks: {},
};

export default config;
