// "Direct to VOD" on the upload page, in Chromium with Tencent's real vod-js-sdk-v6: the files go
// from the browser straight to the emulator; the service only signs. The SDK's host names are fixed
// (vod2.qcloud.com, <bucket>.cos.<region>.myqcloud.com): the browser context routes them to the
// emulator (see src/emulator/PROTOCOL.md, "Browsers").
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type BrowserContext, type Route } from 'playwright-core';
import { startTestServer, type TestServer } from '../support/server.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';
import { waitFor } from '../reliability/helpers.ts';

const CHROMIUM = [process.env['CHROMIUM_PATH'], '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (candidate): candidate is string => candidate !== undefined && candidate !== '' && existsSync(candidate),
);
const SKIP = CHROMIUM === undefined ? 'no Chromium found (/usr/bin/chromium, or set CHROMIUM_PATH)' : false;
const ARTIFACTS = path.resolve('test-artifacts', 'browser');
const COVER_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);
const VISIBLE_TIMEOUT = 120_000;
const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** Where a request to one of the SDK's fixed hosts goes on the emulator (path-style for COS). */
export function emulatorUrlFor(url: string, emulatorBase: string): string | undefined {
  const target = new URL(url);
  if (target.hostname === 'vod2.qcloud.com' || target.hostname === 'vod2.dnsv1.com') return `${emulatorBase}${target.pathname}${target.search}`;
  const cos = /^([a-z0-9-]+-\d+)\.cos\.[a-z0-9-]+\.(?:myqcloud\.com|tencentcos\.cn)$/.exec(target.hostname);
  if (cos !== null) return `${emulatorBase}/${cos[1]}${target.pathname}${target.search}`;
  return undefined;
}

/** Routes the SDK's hosts to the emulator; anything else on Tencent's domains is refused. */
async function routeTencentToEmulator(context: BrowserContext, emulatorBase: string, seen: string[]): Promise<void> {
  const handler = async (route: Route): Promise<void> => {
    const request = route.request();
    const to = emulatorUrlFor(request.url(), emulatorBase);
    seen.push(`${request.method()} ${new URL(request.url()).hostname}`);
    if (to === undefined) return route.abort('blockedbyclient');
    const response = await route.fetch({ url: to });
    return route.fulfill({ response });
  };
  // cos-js-sdk-v5 speaks the page's scheme (http here) to COS; the client-upload API is always https.
  await context.route(/^https?:\/\/[^/]*\.(?:qcloud\.com|dnsv1\.com|myqcloud\.com|tencentcos\.cn)\//, handler);
}

/** The record once VOD's NewFileUpload event (pulled by the service) has completed it. */
async function statusAfterVodEvent(server: TestServer, key: string, id: string): Promise<{ status: string; fileId: string | null; source: string }> {
  return waitFor('the direct upload completed by VOD\'s event', async () => {
    const answer = await server.graphql('query($id: ID!) { upload(id: $id) { status fileId source } }', { key, variables: { id } });
    const record = answer.body.data?.['upload'] as { status: string; fileId: string | null; source: string } | undefined;
    return record?.status === 'PENDING' ? undefined : record;
  }, { timeoutMs: 30_000 });
}

describe('the upload page, "Direct to VOD", in a real browser with vod-js-sdk-v6', { skip: SKIP }, () => {
  let server: TestServer;
  let key: string;
  let browser: Browser;
  let context: BrowserContext;
  const routed: string[] = [];
  const pageProblems: string[] = [];

  let receiver: WebhookReceiver;
  before(async () => {
    receiver = await WebhookReceiver.start();
    server = await startTestServer('browser-direct', {
      env: { VOD_EVENTS: 'pull', WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'on', WEBHOOK_RETRY_DELAYS: '0,1,1' },
    });
    key = (await server.app.apiKeys.createKey('browser-direct')).key;
    const endpoint = await server.graphql(
      'mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) { secret } }',
      { key, variables: { input: { url: `${receiver.url}/direct`, events: ['UPLOAD_SUCCEEDED'] } } },
    );
    receiver.secrets.push((endpoint.body.data?.['createWebhookEndpoint'] as { secret: string }).secret);
    await mkdir(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    context = await browser.newContext({ viewport: { width: 1100, height: 1100 } });
    await routeTencentToEmulator(context, server.emulator.vodEndpoint, routed);
  });
  after(async () => {
    await browser?.close();
    await server?.dispose();
    await receiver?.close();
  });

  it('sends a 20 MiB media and a cover straight to VOD: the emulator has them, the service received none of the bytes, the record is DIRECT', async () => {
    const page = await context.newPage();
    page.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) pageProblems.push(message.text());
    });
    await page.goto(`${server.url}/`);
    await page.fill('#api-key', key);
    const media = randomBytes(20 * 1024 * 1024);
    await page.check('input[name=mode][value=direct]');
    await page.setInputFiles('#media', { name: 'straight.mp4', mimeType: 'video/mp4', buffer: media });
    await page.setInputFiles('#cover', { name: 'straight-cover.png', mimeType: 'image/png', buffer: COVER_PNG });
    await page.fill('input[name=procedure]', 'LongVideoPreset');
    await page.fill('input[name=sourceContext]', 'mine, kept on the record');
    await page.screenshot({ path: path.join(ARTIFACTS, 'direct-1-filled.png'), fullPage: true });
    await page.click('#start');

    await page.locator('#direct-note').filter({ hasText: 'VOD has the file' }).waitFor({ timeout: VISIBLE_TIMEOUT });
    await page.screenshot({ path: path.join(ARTIFACTS, 'direct-2-sent.png'), fullPage: true });
    const fileId = (await page.textContent('#file-id')) ?? '';
    assert.match(fileId, /^\d+$/);
    assert.equal(await page.evaluate(() => (document.getElementById('sent') as HTMLProgressElement).position), 1, 'the SDK reported all bytes');

    // The emulator has both files, byte for byte, under the FileId the page shows.
    const stored = server.emulator.state.mediaRecord(fileId);
    assert.ok(stored);
    const mediaObject = stored.objects.find((o) => o.key === stored.mediaKey);
    assert.equal(mediaObject?.size, media.length);
    const served = Buffer.from(await (await fetch(stored.mediaUrl)).arrayBuffer());
    assert.equal(sha256(served), sha256(media));
    assert.equal(sha256(Buffer.from(await (await fetch(stored.coverUrl)).arrayBuffer())), sha256(COVER_PNG));
    assert.ok(server.emulator.state.count('cos.uploadPart') >= 3, 'the media went in parts (multipart)');
    assert.ok(routed.some((r) => r.startsWith('POST vod2.qcloud.com')));

    // The service only signed: none of the media bytes passed through it.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /^vod_ingest_bytes_received_total 0$/m);
    assert.match(metrics, /^vod_ingest_direct_uploads_total\{status="PENDING"\} 1$/m);

    const id = (await page.getAttribute('#progress-card', 'data-upload-id')) ?? '';
    const record = await statusAfterVodEvent(server, key, id);
    assert.equal(record.source, 'DIRECT');
    assert.deepEqual([record.status, record.fileId], ['SUCCEEDED', fileId], 'VOD\'s NewFileUpload completed the record');
    assert.match(await (await fetch(`${server.url}/metrics`)).text(), /^vod_ingest_direct_uploads_total\{status="SUCCEEDED"\} 1$/m);
    // A webhook fires as for any upload.
    await receiver.until(() => receiver.received.some((hook) => (hook.body.data as { id?: string }).id === id));
    const hook = receiver.received.find((received) => (received.body.data as { id?: string }).id === id)!;
    assert.equal(hook.body.type, 'upload.succeeded');
    assert.ok(hook.verifiedWith.length > 0);
    assert.equal((hook.body.data as { source: string }).source, 'DIRECT');
    assert.deepEqual(pageProblems, []);
    await page.close();
  });
});
