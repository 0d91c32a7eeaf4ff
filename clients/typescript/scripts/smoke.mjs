// Drives the built package (dist/) against a running api, e.g. `tds demo`:
//   npm run build && TDS_URL=http://127.0.0.1:8080/graphql TDS_EMAIL=editor@demo.example.com \
//     TDS_PASSWORD=… node scripts/smoke.mjs
// Signs in, picks the first account, runs each ready-made query, waits for a live reading,
// and requests a report and follows it to DONE. Exits non-zero on the first failure.
import WebSocket from 'ws';
import * as tds from '../dist/index.js';

const { TDS_URL: url, TDS_EMAIL: email, TDS_PASSWORD: password } = process.env;
if (!url || !email || !password) throw new Error('set TDS_URL, TDS_EMAIL and TDS_PASSWORD');
const ok = (result) => {
  if (result.error) throw result.error;
  return result.data;
};

const anonymous = tds.createTdsClient({ url, webSocketImpl: WebSocket });
const { login } = ok(await anonymous.mutation(tds.TdsSignInDocument, { email, password }).toPromise());
const session = anonymous.withToken(login.token);
const { accounts } = ok(await session.query(tds.TdsMyAccountsDocument, {}).toPromise());
const client = session.withAccount(accounts[0].id);
console.log('account', accounts[0].name, accounts[0].role);

const { gateways } = ok(await client.query(tds.TdsGatewaysDocument, { first: 5 }).toPromise());
const { devices } = ok(await client.query(tds.TdsDevicesDocument, {}).toPromise());
const { latestReadings } = ok(await client.query(tds.TdsLatestReadingsDocument, {}).toPromise());
const to = new Date().toISOString();
const from = new Date(Date.now() - 86_400_000).toISOString();
const deviceId = devices.nodes[0].id;
const { readings } = ok(await client.query(tds.TdsReadingsDocument, { deviceId, from, to, limit: 10 }).toPromise());
const vars = { deviceIds: [deviceId], from, to, granularity: 'HOUR' };
const { consumption } = ok(await client.query(tds.TdsConsumptionDocument, vars).toPromise());
const { alerts } = ok(await client.query(tds.TdsAlertsDocument, { filter: { states: ['OPEN'] } }).toPromise());
console.log(
  `gateways ${gateways.nodes.length}, devices ${devices.nodes.length}, latest ${latestReadings.length},`,
  `readings ${readings.length}, buckets ${consumption[0]?.points.length ?? 0}, open alerts ${alerts.nodes.length}`,
);

/** The first event of `document` for which `done` holds, within `seconds`. */
const first = (document, variables, done, seconds) =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nothing within ${seconds} s`)), seconds * 1000);
    const { unsubscribe } = client.subscription(document, variables).subscribe((result) => {
      if (result.error || done(result.data)) {
        clearTimeout(timer);
        unsubscribe();
        result.error ? reject(result.error) : resolve(result.data);
      }
    });
  });

const live = await first(tds.TdsLiveReadingsDocument, {}, () => true, 60);
console.log('live reading', live.readings.device.code, live.readings.value, live.readings.unit);

const finished = first(tds.TdsReportStatusDocument, {}, (d) => ['DONE', 'FAILED'].includes(d.reportStatus.state), 120);
await new Promise((resolve) => setTimeout(resolve, 500)); // subscribed before the request
const input = { period: 'DAY', all: true, format: 'PDF' };
const { requestReport } = ok(await client.mutation(tds.TdsRequestReportDocument, { input }).toPromise());
const { reportStatus } = await finished;
console.log('report', requestReport.id, reportStatus.state, reportStatus.report.fileSize ?? reportStatus.report.error);
client.dispose();
process.exit(reportStatus.state === 'DONE' ? 0 : 1);
