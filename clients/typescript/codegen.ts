import type { CodegenConfig } from '@graphql-codegen/cli';

// The package is generated from the committed contract: `npm run check` fails when the
// generated files no longer match it or the operations in src/operations/.
const out = process.env.TDS_GQL_OUT ?? 'src/generated/';
const shared = {
  useTypeImports: true,
  enumsAsTypes: true,
  scalars: { DateTime: 'string', NaiveDate: 'string' },
  // The output is ESM for Node and bundlers alike, so relative imports name the file.
  importExtension: '.js',
} as const;

const config: CodegenConfig = {
  schema: '../../schema.graphql',
  documents: ['src/operations/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    // Every type, input and enum of the schema.
    [`${out}schema.ts`]: {
      plugins: ['typescript'],
      config: shared,
    },
    // The ready-made operations: result and variable types and a TypedDocumentNode each.
    [`${out}operations.ts`]: {
      plugins: ['typescript-operations', 'typed-document-node'],
      config: { ...shared, importSchemaTypesFrom: `${out}schema.ts`, namespacedImportName: 'Types', skipTypename: true },
    },
  },
};
export default config;
