// GET /metrics: Prometheus text with uploads by status, bytes received/stored, errors by code and
// in-flight uploads, and the counters follow what the uploads did.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sendMediaUpload } from '../support/multipart.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { heldBytes, payload, waitFor } from './helpers.ts';

const MiB = 1024 * 1024;

let server: TestServer;
let apiKey: string;
let tenantId: string;

before(async () => {
  server = await startTestServer('metrics');
  const created = await server.app.apiKeys.createKey('metrics-tenant');
  apiKey = created.key;
  tenantId = created.tenantId;
});
after(async () => {
  await server?.dispose();
});

/** The samples of a Prometheus text exposition, keyed `name{label="value",...}` as printed. */
async function scrape(): Promise<{ contentType: string; text: string; samples: Map<string, number> }> {
  const response = await fetch(`${server.url}/metrics`);
  assert.equal(response.status, 200);
  const text = await response.text();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*(?:\{.*\})?) (\S+)$/.exec(line);
    assert.ok(match !== null, `not a Prometheus sample line: ${line}`);
    samples.set(match[1]!, Number(match[2]));
  }
  return { contentType: response.headers.get('content-type') ?? '', text, samples };
}

function sample(samples: Map<string, number>, name: string): number {
  return samples.get(name) ?? 0;
}

describe('/metrics', () => {
  it('serves Prometheus text with every upload metric, before any upload', async () => {
    const { contentType, text, samples } = await scrape();
    assert.match(contentType, /^text\/plain; version=0\.0\.4/);
    for (const [name, type] of [
      ['vod_ingest_uploads_total', 'counter'],
      ['vod_ingest_errors_total', 'counter'],
      ['vod_ingest_bytes_received_total', 'counter'],
      ['vod_ingest_bytes_stored_total', 'counter'],
      ['vod_ingest_uploads_in_flight', 'gauge'],
    ] as const) {
      assert.match(text, new RegExp(`^# HELP ${name} \\S`, 'm'), `${name} has help`);
      assert.match(text, new RegExp(`^# TYPE ${name} ${type}$`, 'm'), `${name} is a ${type}`);
    }
    assert.equal(samples.get('vod_ingest_uploads_in_flight'), 0);
    assert.equal(samples.get('vod_ingest_bytes_received_total'), 0);
    assert.equal(samples.get('vod_ingest_bytes_stored_total'), 0);
  });

  it('counts a successful and a failed upload: status, bytes, error code', async () => {
    const before = (await scrape()).samples;
    const size = 2 * MiB + 4321;

    const ok = await sendMediaUpload({ url: server.url, key: apiKey, filename: 'counted.mp4', content: payload(size) }).answer;
    assert.equal(ok.body.errors, undefined, JSON.stringify(ok.body.errors));
    assert.equal((ok.body.data?.['uploadMedia'] as { status: string }).status, 'SUCCEEDED');

    const failed = await sendMediaUpload({ url: server.url, key: apiKey, filename: 'counted.xyz', content: payload(64 * 1024) }).answer;
    const error = failed.body.errors?.[0];
    assert.equal(error?.extensions?.['code'], 'InvalidParameterValue.MediaType');
    const failedId = error?.extensions?.['uploadId'];
    assert.equal(typeof failedId, 'string', 'the failed upload has a record');
    const record = await server.graphql('query($id: ID!) { upload(id: $id) { status error { code } } }', { key: apiKey, variables: { id: failedId } });
    assert.deepEqual(record.body.data?.['upload'], { status: 'FAILED', error: { code: 'InvalidParameterValue.MediaType' } });

    const after = (await scrape()).samples;
    const delta = (name: string) => sample(after, name) - sample(before, name);
    assert.equal(delta('vod_ingest_uploads_total{status="SUCCEEDED"}'), 1);
    assert.equal(delta('vod_ingest_uploads_total{status="FAILED"}'), 1);
    assert.equal(delta('vod_ingest_errors_total{code="InvalidParameterValue.MediaType"}'), 1);
    // The failed upload was refused by ApplyUpload, before any byte of it was read or stored.
    assert.equal(delta('vod_ingest_bytes_received_total'), size);
    assert.equal(delta('vod_ingest_bytes_stored_total'), size);
    assert.equal(sample(after, 'vod_ingest_uploads_in_flight'), 0);
  });

  it('shows an upload in flight while it runs, and a canceled one once it stopped', async () => {
    const before = (await scrape()).samples;
    const id = randomUUID();
    const body = heldBytes(payload(6 * MiB), { chunk: 64 * 1024, delayMs: 2, holdAfter: 2 * MiB });
    try {
      const { answer } = sendMediaUpload({ url: server.url, key: apiKey, filename: 'running.mp4', content: body.content, input: { id } });
      const answered = answer.then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      // In flight: the client sent two whole parts and paused; storage holds both.
      await waitFor('the upload to be in flight', async () => {
        const row = await server.database.db.prisma.upload.findUnique({ where: { tenantId_id: { tenantId, id } } });
        const file = await server.database.db.prisma.storedFile.findFirst({ where: { tenantId, uploadId: id, role: 'MEDIA' } });
        if (row?.status !== 'UPLOADING' || row.storageBucket === null || file?.storageKey == null) return false;
        return server.emulator.state.multipartUploads(row.storageBucket, file.storageKey).some((upload) => upload.parts >= 2);
      });
      const running = (await scrape()).samples;
      assert.equal(sample(running, 'vod_ingest_uploads_in_flight'), 1);
      assert.equal(sample(running, 'vod_ingest_uploads_total{status="CANCELED"}'), sample(before, 'vod_ingest_uploads_total{status="CANCELED"}'));

      const canceled = await server.graphql('mutation($id: ID!) { cancelUpload(id: $id) { status } }', { key: apiKey, variables: { id } });
      assert.deepEqual(canceled.body.data?.['cancelUpload'], { status: 'CANCELED' });
      const outcome = await answered;
      assert.ok('value' in outcome, 'the upload request got an answer');
      assert.equal(outcome.value.body.errors?.[0]?.extensions?.['code'], 'RequestCanceled');

      const after = (await scrape()).samples;
      assert.equal(sample(after, 'vod_ingest_uploads_in_flight'), 0);
      assert.equal(sample(after, 'vod_ingest_uploads_total{status="CANCELED"}') - sample(before, 'vod_ingest_uploads_total{status="CANCELED"}'), 1);
      assert.equal(sample(after, 'vod_ingest_errors_total{code="RequestCanceled"}') - sample(before, 'vod_ingest_errors_total{code="RequestCanceled"}'), 1);
    } finally {
      body.release();
    }
  });
});
