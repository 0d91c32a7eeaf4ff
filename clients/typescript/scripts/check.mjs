// Generates the types and documents into a scratch folder and fails when they differ from
// the committed ones (schema.graphql or an operation changed without `npm run codegen`),
// then type-checks the package.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const committed = 'src/generated';
const scratch = mkdtempSync(join(tmpdir(), 'tds-client-gql-'));
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
    console.error(
      `generated files drifted from schema.graphql or src/operations: ${drift.join(', ')}\n` +
        'run `npm run codegen` in clients/typescript and commit the result',
    );
    process.exit(1);
  }
  console.log('generated files match schema.graphql and src/operations');
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

execFileSync('node', ['node_modules/typescript/bin/tsc', '--noEmit', '-p', 'tsconfig.json'], { stdio: 'inherit' });
console.log('the package type-checks');
