// Chromium's EventSource through nginx while the instance holding its stream is drained; see
// sse_rolling.sh. Publishes with a pipelined RESP connection of its own (no client library).
//   EDGE_URL TOKEN USER REDIS_PORT GW_PORTS GW_PIDS node sse_rolling_test.mjs
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import net from 'node:net';

const { EDGE_URL, TOKEN, USER, REDIS_PORT } = process.env;
const gwPorts = process.env.GW_PORTS.split(' ').map(Number);
const gwPids = process.env.GW_PIDS.split(' ').map(Number);
const TOTAL = 400;

const redis = net.connect(Number(REDIS_PORT), '127.0.0.1');
await new Promise((resolve) => redis.once('connect', resolve));
redis.on('data', () => {});  // integer replies: nothing to check
const publish = (channel, message) => {
  const args = ['PUBLISH', channel, JSON.stringify(message)];
  redis.write(`*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join(''));
};
const connections = async (port) => {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^wsgw_connections (\d+)$/m.exec(text)[1]);
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--ignore-certificate-errors',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failed = false;
try {
  const page = await browser.newPage();
  await page.goto(`${EDGE_URL}/healthz`);  // same origin as /events
  await page.evaluate((token) => {
    window.seen = [];
    window.opens = 0;
    const es = new EventSource(`/events?token=${encodeURIComponent(token)}`);
    es.onopen = () => { window.opens += 1; };
    es.addEventListener('notification', (e) => window.seen.push(JSON.parse(e.data).payload.seq));
    es.addEventListener('alert', () => { window.ready = true; });
  }, TOKEN);
  // Registered once a marker arrives.
  for (let i = 0; i < 100 && !(await page.evaluate(() => window.ready === true)); i++) {
    publish(`user_noti:${USER}`, { type: 'alert', payload: { marker: i } });
    await sleep(50);
  }
  assert.equal(await page.evaluate(() => window.ready === true), true, 'the stream never opened');
  // The instance holding the stream is the one to drain.
  const holder = (await connections(gwPorts[0])) === 1 ? 0 : 1;
  assert.equal(await connections(gwPorts[holder]), 1, 'the stream is on neither instance');

  const start = Date.now();
  for (let i = 1; i <= TOTAL; i++) {
    publish(`user_noti:${USER}`, { type: 'notification', payload: { seq: i } });
    if (i === TOTAL / 2) process.kill(gwPids[holder], 'SIGTERM');
    await sleep(Math.max(0, start + i * 5 - Date.now()));  // about 200/s
  }
  await page.waitForFunction((n) => window.seen.length >= n, TOTAL, { timeout: 20000 }).catch(() => {});
  const seen = await page.evaluate(() => window.seen);
  const opens = await page.evaluate(() => window.opens);
  assert.ok(opens >= 2, `the EventSource did not reconnect (opened ${opens} time(s))`);
  assert.deepEqual(seen, Array.from({ length: TOTAL }, (_, i) => i + 1), 'a gap or a duplicate in the received sequence');
  console.log(`browser EventSource: ${TOTAL} events in order across a drain, ${opens} connections`);
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  await browser.close();
  redis.end();
}
process.exit(failed ? 1 : 0);
