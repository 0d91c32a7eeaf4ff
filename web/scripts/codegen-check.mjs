// Generates the typed operations into a scratch folder and fails when they differ from
// the committed ones: the schema or an operation changed without `npm run codegen`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const committed = 'src/lib/gql';
const scratch = mkdtempSync(join(tmpdir(), 'tds-gql-'));
try {
  execFileSync('node', ['node_modules/@graphql-codegen/cli/cjs/bin.js', '--config', 'codegen.ts', '--silent'], {
    stdio: 'inherit',
    env: { ...process.env, TDS_GQL_OUT: `${scratch}/` },
  });
  const names = new Set([...readdirSync(committed), ...readdirSync(scratch)]);
  const read = (dir, f) => {
    try {
      return readFileSync(join(dir, f), 'utf8');
    } catch {
      return null;
    }
  };
  const drift = [...names].filter((f) => read(committed, f) !== read(scratch, f));
  if (drift.length) {
    console.error(`generated GraphQL types drifted from schema.graphql or the operations: ${drift.join(', ')}\nrun \`npm run codegen\` in web/ and commit the result`);
    process.exit(1);
  }
  console.log('generated GraphQL types match schema.graphql and the operations');
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
