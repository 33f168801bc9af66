// Opens the /demo page in headless Chromium, publishes progress to Redis, and checks that the
// bars in the DOM follow. Saves a screenshot for the README.
//   BASE_URL TOKEN USER REDIS_PORT SCREENSHOT node demo_test.mjs
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import assert from 'node:assert/strict';

const { BASE_URL, TOKEN, USER, REDIS_PORT, SCREENSHOT } = process.env;
const publish = (channel, message) =>
  execFileSync('redis-cli', ['-p', REDIS_PORT, 'PUBLISH', channel, JSON.stringify(message)]);

const phased = (overall, crawl, analyze) => ({
  type: 'project_progress',
  payload: { project_id: 'p1', status: 'PROCESSING', overall_progress_percent: overall,
    crawl: { total: 100, done: crawl, errors: 1, progress_percent: crawl },
    analyze: analyze === null ? null : { total: 80, done: Math.round(analyze * 0.8), errors: 0, progress_percent: analyze } },
});

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let failed = false;
try {
  const page = await browser.newPage({ viewport: { width: 900, height: 640 } });
  // The WebSocket handshake as Chromium saw it: its offer and the gateway's answer.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  const handshake = new Promise((resolve) => cdp.on('Network.webSocketHandshakeResponseReceived', (e) => resolve(e.response)));
  await page.goto(`${BASE_URL}/demo?token=${encodeURIComponent(TOKEN)}`);
  await page.waitForFunction(() => document.getElementById('state').textContent === 'connected', null, { timeout: 10000 });
  const response = await handshake;
  const header = (headers, name) => Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1] ?? '';
  const agreed = header(response.headers, 'sec-websocket-extensions');
  assert.match(agreed, /^permessage-deflate; server_no_context_takeover; client_no_context_takeover$/,
    `Chromium's offer (${header(response.requestHeaders ?? {}, 'sec-websocket-extensions')}) must be agreed to`);

  const bar = (project, name) =>
    page.$eval(`[data-project="${project}"] [data-bar="${name}"] progress`, (e) => e.value).catch(() => null);
  const waitBar = (project, name, value) =>
    page.waitForFunction(([p, n, v]) => {
      const e = document.querySelector(`[data-project="${p}"] [data-bar="${n}"] progress`);
      return e && e.value === v;
    }, [project, name, value], { timeout: 5000 });

  publish(`project:p1:${USER}`, phased(12, 24, null));
  await waitBar('p1', 'overall', 12);
  assert.equal(await bar('p1', 'crawl'), 24);
  assert.equal(await bar('p1', 'analyze'), null, 'a null phase must not draw a bar');

  publish(`project:p1:${USER}`, phased(66, 100, 32));
  await waitBar('p1', 'overall', 66);
  assert.equal(await bar('p1', 'analyze'), 32);

  publish(`user_noti:${USER}`, { type: 'project_progress',
    payload: { project_id: 'legacy-7', status: 'CRAWLING', total: 10, done: 4, errors: 0, progress_percent: 40 } });
  await waitBar('legacy-7', 'progress', 40);

  publish(`user_noti:${USER}`, { type: 'notification', payload: { title: 'Crawl finished for p1' } });
  await page.waitForFunction(() => document.querySelector('#events li')?.textContent.includes('Crawl finished'), null, { timeout: 5000 });

  // Large enough to go out compressed: Chromium inflates it and the page shows it.
  const pages = Array.from({ length: 40 }, (_, i) => `https://example.com/site/page-${i}`);
  publish(`user_noti:${USER}`, { type: 'notification', payload: { title: 'Report ready for p1', pages } });
  await page.waitForFunction(() => [...document.querySelectorAll('#events li')].some((li) => li.textContent.includes('Report ready')),
    null, { timeout: 5000 });

  if (SCREENSHOT) await page.screenshot({ path: SCREENSHOT });
  console.log('browser demo: permessage-deflate agreed; bars and events followed every published update');
} catch (e) {
  failed = true;
  console.error(e);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
