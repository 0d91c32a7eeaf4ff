// Runs the GraphQL-over-HTTP conformance audit of `graphql-http` against a running api
// and fails on any error (a MUST broken) or warning (a SHOULD or MAY not followed), so a
// regression of the transport shows in CI rather than in a client library.
//
//   node scripts/audit-graphql-http.mjs [http://127.0.0.1:8080/graphql]
//
// Prints one line per check that did not pass (id, level, name, reason, status) and a
// summary line `audit: N checks, N ok, N notices, N warnings, N errors`.
import { auditServer } from 'graphql-http';

const url = process.argv[2] ?? process.env.TDS_GRAPHQL_URL ?? 'http://127.0.0.1:8080/graphql';
const results = await auditServer({ url });

const count = (status) => results.filter((r) => r.status === status).length;
for (const result of results) {
  if (result.status === 'ok') continue;
  const status = result.response ? ` (HTTP ${result.response.status})` : '';
  console.log(`${result.status.toUpperCase()} ${result.id} ${result.name}: ${result.reason}${status}`);
}
const [errors, warnings] = [count('error'), count('warn')];
console.log(
  `audit: ${results.length} checks, ${count('ok')} ok, ${count('notice')} notices, ${warnings} warnings, ${errors} errors`,
);
process.exit(errors + warnings > 0 ? 1 : 0);
