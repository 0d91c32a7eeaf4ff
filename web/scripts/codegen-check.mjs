// Regenerates the typed operations into a scratch folder and fails when they differ from
// the committed ones: the schema or an operation changed without `npm run codegen`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const committed = 'src/lib/gql';
const saved = mkdtempSync(join(tmpdir(), 'tds-gql-'));
cpSync(committed, saved, { recursive: true });
try {
  execFileSync('npx', ['graphql-codegen', '--config', 'codegen.ts'], { stdio: 'inherit' });
  const drift = readdirSync(committed).filter(
    (f) => readFileSync(join(committed, f), 'utf8') !== readFileSync(join(saved, f), 'utf8'),
  );
  if (drift.length) {
    console.error(`generated GraphQL types drifted from the schema or operations: ${drift.join(', ')}\nrun \`npm run codegen\` and commit the result`);
    cpSync(saved, committed, { recursive: true });
    process.exit(1);
  }
  console.log('generated GraphQL types match schema.graphql');
} finally {
  rmSync(saved, { recursive: true, force: true });
}
