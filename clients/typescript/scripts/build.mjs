// Compiles src/ to dist/ (ES modules with declarations) and ships the schema it was
// generated from as `@tds/graphql-client/schema.graphql`, for codegen of one's own operations.
import { execFileSync } from 'node:child_process';
import { copyFileSync, rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
execFileSync('node', ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
copyFileSync('../../schema.graphql', 'dist/schema.graphql');
console.log('built dist/');
