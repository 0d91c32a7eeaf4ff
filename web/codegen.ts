import type { CodegenConfig } from '@graphql-codegen/cli';

// Operations are typed from the committed contract; `npm run codegen:check` fails when
// the generated types no longer match it.
const config: CodegenConfig = {
  schema: '../schema.graphql',
  // Every operation lives in src/lib/operations/, one file per screen.
  documents: ['src/lib/operations/**/*.ts'],
  ignoreNoDocuments: false,
  generates: {
    [process.env.TDS_GQL_OUT ?? 'src/lib/gql/']: {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        documentMode: 'string',
        useTypeImports: true,
        enumsAsTypes: true,
        scalars: { DateTime: 'string', NaiveDate: 'string' },
        skipTypename: true,
      },
    },
  },
};
export default config;
