import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../support/server.ts';
import { WebhookReceiver } from '../support/webhook-receiver.ts';
import { waitFor } from '../reliability/helpers.ts';

/** Debian's package (what .ci/run installs), or a path given by the environment. */
const CHROMIUM = [process.env['CHROMIUM_PATH'], '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (candidate): candidate is string => candidate !== undefined && candidate !== '' && existsSync(candidate),
);
const SKIP = CHROMIUM === undefined ? 'no Chromium found (/usr/bin/chromium, or set CHROMIUM_PATH): apt-get install -y chromium' : false;
/** Screenshots for a person to look at; git-ignored. */
const ARTIFACTS = path.resolve('test-artifacts', 'browser');
const VISIBLE_TIMEOUT = 60_000;
const ENDPOINTS = 'query { webhookEndpoints { id url events enabled } }';

/**
 * The upload page's Webhooks card in Chromium against the real app (its pg-boss worker on the test
 * Postgres) and a receiver on 127.0.0.1 that verifies every request with the standardwebhooks library
 * against the secrets the page showed.
 */
describe('the upload page lists and manages webhook endpoints and deliveries', { skip: SKIP }, () => {
  let server: TestServer;
  let receiver: WebhookReceiver;
  let key: string;
  let browser: Browser;
  let page: Page;
  let uploadId: string;
  const pageProblems: string[] = [];

  before(async () => {
    receiver = await WebhookReceiver.start();
    server = await startTestServer('browser-hooks', {
      env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'on', WEBHOOK_RETRY_DELAYS: '0,1,1', WEBHOOK_TIMEOUT_MS: '3000' },
    });
    key = (await server.app.apiKeys.createKey('browser-hooks')).key;
    await mkdir(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1100, height: 1400 } });
    page.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && !/Failed to load resource/.test(message.text())) pageProblems.push(message.text());
    });
  });
  after(async () => {
    await browser?.close();
    await server?.dispose();
    await receiver?.close();
  });

  async function endpointsByApi(): Promise<Array<{ id: string; url: string; events: string[]; enabled: boolean }>> {
    const answer = await server.graphql(ENDPOINTS, { key });
    assert.equal(answer.body.errors, undefined, JSON.stringify(answer.body.errors));
    return answer.body.data?.['webhookEndpoints'] as Array<{ id: string; url: string; events: string[]; enabled: boolean }>;
  }

  /**
   * Waits until the service has recorded the upload's delivery as SUCCEEDED after `attempts`
   * attempts. The receiver notes a request before it answers, and the service records the attempt
   * only after the answer: a Refresh in between would still show the delivery PENDING.
   */
  async function deliveryRecorded(forUpload: string, attempts: number): Promise<void> {
    await waitFor(`the delivery of ${forUpload} recorded after ${attempts} attempt(s)`, async () => {
      const answer = await server.graphql('query { webhookDeliveries(first: 50) { edges { node { uploadId status attempts } } } }', { key });
      const edges = (answer.body.data?.['webhookDeliveries'] as { edges: Array<{ node: { uploadId: string; status: string; attempts: number } }> } | undefined)?.edges ?? [];
      return edges.some(({ node }) => node.uploadId === forUpload && node.status === 'SUCCEEDED' && node.attempts === attempts);
    }, { timeoutMs: VISIBLE_TIMEOUT });
  }

  /** The secret the card shows, then "Done": afterwards it is nowhere in the page. */
  async function takeShownSecret(): Promise<string> {
    await page.locator('#hooks-secret').waitFor({ state: 'visible', timeout: VISIBLE_TIMEOUT });
    const secret = (await page.textContent('#hooks-secret-value')) ?? '';
    assert.match(secret, /^whsec_[A-Za-z0-9+/=]+$/);
    assert.match((await page.textContent('#hooks-secret-hint')) ?? '', /not shown again/);
    return secret;
  }

  async function dismissSecret(secret: string): Promise<void> {
    await page.click('#hooks-secret-done');
    assert.equal(await page.isHidden('#hooks-secret'), true);
    assert.equal((await page.content()).includes(secret), false, 'the secret is gone from the page once dismissed');
  }

  it('shows the key holder no endpoints yet, and an API error with its code', async () => {
    await page.goto(`${server.url}/`);
    await page.fill('#api-key', key);
    await page.click('#key-form button[type=submit]');
    await page.locator('#hooks-empty').filter({ hasText: 'No endpoints yet' }).waitFor({ timeout: VISIBLE_TIMEOUT });
    assert.equal(await page.isHidden('#hooks-endpoints'), true);
    assert.equal(await page.isVisible('#hooks-deliveries-empty'), true);

    // No event chosen: the service refuses, and the card says so with the code.
    await page.fill('#hooks-add input[name=url]', `${receiver.url}/never`);
    await page.uncheck('#hooks-add input[value=UPLOAD_SUCCEEDED]');
    await page.click('#hooks-add-button');
    await page.locator('#hooks-error').filter({ hasText: 'InvalidParameter' }).waitFor({ timeout: VISIBLE_TIMEOUT });
    assert.match((await page.textContent('#hooks-error')) ?? '', /at least one event type/);
    assert.deepEqual(await endpointsByApi(), []);
    await page.screenshot({ path: path.join(ARTIFACTS, 'hooks-1-error.png'), fullPage: true });
  });

  it('adds an endpoint for upload.succeeded and shows its secret once', async () => {
    await page.fill('#hooks-add input[name=url]', `${receiver.url}/page`);
    await page.check('#hooks-add input[value=UPLOAD_SUCCEEDED]');
    await page.click('#hooks-add-button');
    const secret = await takeShownSecret();
    assert.equal(await page.isHidden('#hooks-error'), true, 'the earlier error is gone');
    receiver.secrets.push(secret);

    const [endpoint] = await endpointsByApi();
    assert.deepEqual(endpoint && { url: endpoint.url, events: endpoint.events, enabled: endpoint.enabled }, {
      url: `${receiver.url}/page`,
      events: ['UPLOAD_SUCCEEDED'],
      enabled: true,
    });
    const row = page.locator(`#hooks-endpoints tr[data-id="${endpoint?.id}"]`);
    await row.waitFor({ timeout: VISIBLE_TIMEOUT });
    assert.deepEqual(await row.locator('td').allTextContents().then((cells) => cells.slice(0, 3)), [`${receiver.url}/page`, 'upload.succeeded', 'ENABLED']);
    assert.equal(await page.inputValue('#hooks-add input[name=url]'), '', 'the form is ready for the next one');
    await page.screenshot({ path: path.join(ARTIFACTS, 'hooks-2-secret.png'), fullPage: true });
    await dismissSecret(secret);
  });

  it('lists the delivery of an upload made on the page as SUCCEEDED after Refresh, verified by the receiver', async () => {
    await page.setInputFiles('#media', { name: 'hooked.mp4', mimeType: 'video/mp4', buffer: randomBytes(256 * 1024) });
    await page.click('#start');
    await page.locator('#status[data-status=SUCCEEDED]').waitFor({ timeout: VISIBLE_TIMEOUT });
    uploadId = (await page.getAttribute('#progress-card', 'data-upload-id')) ?? '';
    assert.notEqual(uploadId, '');

    await receiver.until(() => receiver.received.some((entry) => entry.body.data['id'] === uploadId && entry.verifiedWith.length > 0), VISIBLE_TIMEOUT);
    const received = receiver.received.find((entry) => entry.body.data['id'] === uploadId);
    assert.equal(received?.body.type, 'upload.succeeded');

    await deliveryRecorded(uploadId, 1);
    await page.click('#refresh');
    const row = page.locator(`#hooks-deliveries tr[data-upload-id="${uploadId}"]`);
    await row.locator('.badge[data-status=SUCCEEDED]').waitFor({ timeout: VISIBLE_TIMEOUT });
    const cells = await row.locator('td').allTextContents();
    assert.equal(cells[0], 'upload.succeeded');
    assert.equal(cells[1], uploadId.slice(0, 8));
    assert.equal(await row.locator('td').nth(1).getAttribute('title'), uploadId);
    assert.equal(cells[3], '1', 'one attempt');
    assert.equal(cells[4], '204', "the receiver's answer");
    assert.equal(cells[5], '–', 'no next attempt');
    assert.notEqual(cells[6], '–', 'a delivery time');
    assert.equal(await page.isHidden('#hooks-deliveries-empty'), true);
    await page.screenshot({ path: path.join(ARTIFACTS, 'hooks-3-delivered.png'), fullPage: true });
  });

  it('"Send again" delivers it once more with the same webhook-id', async () => {
    const webhookId = receiver.received.find((entry) => entry.body.data['id'] === uploadId)?.id ?? '';
    const row = page.locator(`#hooks-deliveries tr[data-upload-id="${uploadId}"]`);
    await row.locator('button.redeliver').click();
    await receiver.until(() => receiver.successesById().get(webhookId) === 2, VISIBLE_TIMEOUT);
    await deliveryRecorded(uploadId, 2);
    await page.click('#refresh');
    await row.locator('td').nth(3).filter({ hasText: /^2$/ }).waitFor({ timeout: VISIBLE_TIMEOUT });
    await row.locator('.badge[data-status=SUCCEEDED]').waitFor({ timeout: VISIBLE_TIMEOUT });
  });

  it('disables and enables the endpoint', async () => {
    const [endpoint] = await endpointsByApi();
    const row = page.locator(`#hooks-endpoints tr[data-id="${endpoint?.id}"]`);
    await row.locator('button.toggle').filter({ hasText: 'Disable' }).click();
    await row.locator('.badge[data-status=DISABLED]').waitFor({ timeout: VISIBLE_TIMEOUT });
    assert.equal((await endpointsByApi())[0]?.enabled, false);
    await page.screenshot({ path: path.join(ARTIFACTS, 'hooks-4-disabled.png'), fullPage: true });
    await row.locator('button.toggle').filter({ hasText: 'Enable' }).click();
    await row.locator('.badge[data-status=ENABLED]').waitFor({ timeout: VISIBLE_TIMEOUT });
    assert.equal((await endpointsByApi())[0]?.enabled, true);
  });

  it('rotates the secret: the new one is shown once and signs the next delivery beside the old one', async () => {
    const [endpoint] = await endpointsByApi();
    await page.locator(`#hooks-endpoints tr[data-id="${endpoint?.id}"] button.rotate`).click();
    const secret = await takeShownSecret();
    assert.notEqual(secret, receiver.secrets[0]);
    assert.match((await page.textContent('#hooks-secret-title')) ?? '', /24 hours/);
    receiver.secrets.push(secret);
    await page.screenshot({ path: path.join(ARTIFACTS, 'hooks-5-rotated.png'), fullPage: true });
    await dismissSecret(secret);

    const before = receiver.received.length;
    await page.locator(`#hooks-deliveries tr[data-upload-id="${uploadId}"] button.redeliver`).click();
    await receiver.until(() => receiver.received.length > before, VISIBLE_TIMEOUT);
    assert.deepEqual(receiver.received.at(-1)?.verifiedWith, [0, 1], 'signed with the old and the new secret');
  });

  it('deletes the endpoint', async () => {
    const [endpoint] = await endpointsByApi();
    page.once('dialog', (dialog) => void dialog.accept());
    await page.locator(`#hooks-endpoints tr[data-id="${endpoint?.id}"] button.delete`).click();
    await page.locator('#hooks-empty').filter({ hasText: 'No endpoints yet' }).waitFor({ timeout: VISIBLE_TIMEOUT });
    assert.equal(await page.locator(`#hooks-endpoints tr[data-id="${endpoint?.id}"]`).count(), 0);
    assert.deepEqual(await endpointsByApi(), []);
    await page.screenshot({ path: path.join(ARTIFACTS, 'hooks-6-deleted.png'), fullPage: true });
  });

  it("shows a receiver's hostile error answer as text, not markup", async () => {
    const hostile = '<img src=x onerror="window.__hooked=1"><b>not bold</b>';
    receiver.answer = ({ path: at }) => (at === '/hostile' ? { status: 500, body: hostile } : { status: 204 });
    await page.fill('#hooks-add input[name=url]', `${receiver.url}/hostile`);
    await page.click('#hooks-add-button');
    receiver.secrets.push(await takeShownSecret());

    await page.setInputFiles('#media', { name: 'refused.mp4', mimeType: 'video/mp4', buffer: randomBytes(64 * 1024) });
    await page.click('#start');
    await page.locator('#status[data-status=SUCCEEDED]').waitFor({ timeout: VISIBLE_TIMEOUT });
    const refusedId = (await page.getAttribute('#progress-card', 'data-upload-id')) ?? '';
    // A second attempt is made only once the first one's answer is recorded.
    await receiver.until(() => receiver.received.filter((entry) => entry.body.data['id'] === refusedId).length >= 2, VISIBLE_TIMEOUT);

    await page.click('#refresh');
    const answer = page.locator(`#hooks-deliveries tr[data-upload-id="${refusedId}"] td`).nth(4);
    await answer.filter({ hasText: '500' }).waitFor({ timeout: VISIBLE_TIMEOUT });
    assert.match((await answer.locator('.reason').textContent()) ?? '', /<img src=x onerror="window.__hooked=1"><b>not bold<\/b>/);
    assert.equal(await page.locator('#hooks-card img, #hooks-card b').count(), 0, 'no element made of the answer');
    assert.equal(await page.evaluate(() => (window as unknown as { __hooked?: number }).__hooked), undefined);
    await page.screenshot({ path: path.join(ARTIFACTS, 'hooks-7-refused.png'), fullPage: true });
  });

  it('"Forget" empties the card', async () => {
    await page.click('#forget-key');
    assert.equal(await page.locator('#hooks-endpoints tbody tr, #hooks-deliveries tbody tr').count(), 0);
    assert.equal(await page.isHidden('#hooks-secret'), true);
    assert.match((await page.textContent('#hooks-empty')) ?? '', /Enter your API key/);
  });

  it('ran without script errors or Content-Security-Policy violations', () => {
    assert.deepEqual(pageProblems, []);
  });
});
