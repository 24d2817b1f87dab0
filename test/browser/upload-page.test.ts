import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../support/server.ts';

/** Debian's package (what .ci/run installs), or a path given by the environment. */
const CHROMIUM = [process.env['CHROMIUM_PATH'], '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (candidate): candidate is string => candidate !== undefined && candidate !== '' && existsSync(candidate),
);
const SKIP = CHROMIUM === undefined ? 'no Chromium found (/usr/bin/chromium, or set CHROMIUM_PATH): apt-get install -y chromium' : false;
/** Screenshots for a person to look at; git-ignored. */
const ARTIFACTS = path.resolve('test-artifacts', 'browser');
/** A 1×1 PNG. */
const COVER_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);
const VISIBLE_TIMEOUT = 60_000;

let server: TestServer;
let key: string;
let browser: Browser;
let page: Page;
const pageProblems: string[] = [];

before(async () => {
  server = await startTestServer('browser');
  key = (await server.app.apiKeys.createKey('browser')).key;
});
after(async () => {
  await server.dispose();
});

describe('GET /', () => {
  it('is served at / with a strict Content-Security-Policy and no inline code', async () => {
    const response = await fetch(`${server.url}/`);
    assert.equal(response.status, 200);
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    const html = await response.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/i, 'no inline script');
    assert.doesNotMatch(html, /\bon[a-z]+=|style=|https?:\/\//i, 'no inline handlers or styles, nothing from another origin');
    for (const asset of ['/upload-page/upload.js', '/upload-page/webhooks.js', '/upload-page/upload.css']) {
      assert.equal((await fetch(`${server.url}${asset}`)).status, 200, asset);
    }
  });
});

describe('the upload page in a real browser', { skip: SKIP }, () => {
  before(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1100, height: 1000 } });
    page.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) pageProblems.push(message.text());
    });
  });
  after(async () => {
    await browser?.close();
  });

  it('says clearly when the key is wrong', async () => {
    await page.goto(`${server.url}/`);
    await page.fill('#api-key', 'vodk_00000000_not-a-real-key');
    await page.click('#key-form button[type=submit]');
    const status = page.locator('#key-status');
    await status.filter({ hasText: 'AuthFailure' }).waitFor({ timeout: VISIBLE_TIMEOUT });
    assert.match((await status.textContent()) ?? '', /refused \(AuthFailure\): Unknown or revoked API key/);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('vod-ingest.apiKey')), null, 'a refused key is not kept');
    await page.screenshot({ path: path.join(ARTIFACTS, '1-wrong-key.png'), fullPage: true });
  });

  it('refuses a wrong key typed into the field when Upload is pressed, before anything is sent', async () => {
    await page.fill('#api-key', 'vodk_00000000_typed-not-used');
    await page.setInputFiles('#media', { name: 'never-sent.mp4', mimeType: 'video/mp4', buffer: randomBytes(4096) });
    await page.click('#start');
    await page.locator('#error').filter({ hasText: 'AuthFailure' }).waitFor({ timeout: VISIBLE_TIMEOUT });
    assert.match((await page.textContent('#error')) ?? '', /Unknown or revoked API key/);
    assert.match((await page.textContent('#key-status')) ?? '', /refused \(AuthFailure\)/);
    assert.equal(await page.getAttribute('#progress-card', 'data-upload-id'), null, 'no upload was started');
    assert.equal(await page.isEnabled('#start'), true, 'Upload can be pressed again');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('vod-ingest.apiKey')), null);
  });

  it('uploads with the key typed into the field (no "Use key"), a media file and a cover, and shows SUCCEEDED with its FileId', async () => {
    // What a person does: type the key, pick the files, press Upload.
    await page.fill('#api-key', key);
    const media = randomBytes(1536 * 1024 + 17);
    await page.setInputFiles('#media', { name: 'holiday.mp4', mimeType: 'video/mp4', buffer: media });
    await page.setInputFiles('#cover', { name: 'holiday-cover.png', mimeType: 'image/png', buffer: COVER_PNG });
    await page.fill('input[name=procedure]', 'browser-flow');
    await page.fill('input[name=sourceContext]', 'from the upload page');
    await page.screenshot({ path: path.join(ARTIFACTS, '2-filled.png'), fullPage: true });
    await page.click('#start');

    await page.locator('#status[data-status=SUCCEEDED]').waitFor({ timeout: VISIBLE_TIMEOUT });
    await page.locator('#result').waitFor({ state: 'visible', timeout: VISIBLE_TIMEOUT });
    const fileId = (await page.textContent('#file-id')) ?? '';
    assert.match(fileId, /\S/);
    const id = await page.getAttribute('#progress-card', 'data-upload-id');
    const record = await server.graphql('query($id: ID!) { upload(id: $id) { status fileId procedure sourceContext bytesTotal coverUrl mediaUrl } }', {
      key,
      variables: { id },
    });
    const upload = record.body.data?.['upload'] as Record<string, unknown>;
    assert.equal(upload['status'], 'SUCCEEDED');
    assert.equal(upload['fileId'], fileId);
    assert.equal(upload['procedure'], 'browser-flow');
    assert.equal(upload['sourceContext'], 'from the upload page');
    assert.equal(await page.getAttribute('#media-url', 'href'), upload['mediaUrl']);
    assert.equal(await page.textContent('#cover-url'), upload['coverUrl']);
    assert.equal(await page.evaluate(() => (document.getElementById('sent') as HTMLProgressElement).position), 1, 'the sent bar is full');
    assert.equal(await page.evaluate(() => (document.getElementById('stored') as HTMLProgressElement).position), 1, 'the stored bar is full');
    // The list of recent uploads shows it.
    await page.locator(`#recent tr[data-id="${id}"] .badge[data-status=SUCCEEDED]`).waitFor({ timeout: VISIBLE_TIMEOUT });
    // The typed key was checked and taken as if "Use key" had been pressed.
    assert.match((await page.textContent('#key-status')) ?? '', /Key accepted/);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('vod-ingest.apiKey')), key);
    await page.screenshot({ path: path.join(ARTIFACTS, '3-succeeded.png'), fullPage: true });
  });

  it('cancels a slow upload and shows CANCELED', async () => {
    // Every storage answer takes a while: the upload stays in flight long enough to cancel it.
    server.emulator.faults.set({ delayMs: 1500 });
    try {
      await page.setInputFiles('#media', { name: 'long-take.mp4', mimeType: 'video/mp4', buffer: randomBytes(12 * 1024 * 1024) });
      await page.setInputFiles('#cover', []);
      await page.click('#start');
      await page.locator('#status[data-status=UPLOADING]').waitFor({ timeout: VISIBLE_TIMEOUT });
      await page.screenshot({ path: path.join(ARTIFACTS, '4-uploading.png'), fullPage: true });
      await page.click('#cancel');
      await page.locator('#status[data-status=CANCELED]').waitFor({ timeout: VISIBLE_TIMEOUT });
      await page.locator('#error').filter({ hasText: 'RequestCanceled' }).waitFor({ timeout: VISIBLE_TIMEOUT });
      const id = await page.getAttribute('#progress-card', 'data-upload-id');
      const record = await server.graphql('query($id: ID!) { upload(id: $id) { status error { code } } }', { key, variables: { id } });
      assert.deepEqual(record.body.data?.['upload'], { status: 'CANCELED', error: { code: 'RequestCanceled' } });
      await page.locator(`#recent tr[data-id="${id}"] .badge[data-status=CANCELED]`).waitFor({ timeout: VISIBLE_TIMEOUT });
      assert.equal(await page.isHidden('#cancel'), true, 'nothing left to cancel');
      await page.screenshot({ path: path.join(ARTIFACTS, '5-canceled.png'), fullPage: true });
    } finally {
      server.emulator.faults.clear();
    }
  });

  it('still takes a key with "Use key" after "Forget", and lists the uploads made with it', async () => {
    await page.click('#forget-key');
    assert.equal(await page.evaluate(() => sessionStorage.getItem('vod-ingest.apiKey')), null);
    await page.fill('#api-key', key);
    await page.click('#key-form button[type=submit]');
    await page.locator('#key-status').filter({ hasText: 'Key accepted' }).waitFor({ timeout: VISIBLE_TIMEOUT });
    assert.equal(await page.evaluate(() => sessionStorage.getItem('vod-ingest.apiKey')), key);
    await page.locator('#recent tr .badge[data-status=SUCCEEDED]').first().waitFor({ timeout: VISIBLE_TIMEOUT });
  });

  it('ran without script errors or Content-Security-Policy violations', () => {
    assert.deepEqual(pageProblems, []);
  });
});
