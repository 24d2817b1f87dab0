import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseDirectSourceContext } from '../../src/direct/direct-context.ts';
import { uploadDirect } from '../../src/direct/ugc-client.ts';
import { decodeUploadSignature } from '../../src/direct/upload-signature.ts';
import { confirmAll, pullAtLeast } from '../emulator/events-helpers.ts';
import { bytes, sha256, vodClient } from '../emulator/helpers.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const CREATE = `mutation ($input: CreateDirectUploadInput!) {
  createDirectUpload(input: $input) { signature expiresAt upload { id status source mediaName procedure sourceContext error { code } } }
}`;
const UPLOAD = 'query ($id: ID!) { upload(id: $id) { id status source error { code message } finishedAt } }';

interface Created {
  signature: string;
  expiresAt: string;
  upload: { id: string; status: string; source: string; mediaName: string; procedure: string | null; sourceContext: string | null };
}

describe('createDirectUpload', () => {
  let server: TestServer;
  let keyA: string;
  let tenantA: string;
  let keyB: string;
  let dir: string;

  before(async () => {
    server = await startTestServer('direct', { env: { DIRECT_UPLOAD_TTL: '5m', DIRECT_UPLOAD_GRACE: '2m' } });
    const a = await server.app.apiKeys.createKey('tenant-a');
    keyA = a.key;
    tenantA = a.tenantId;
    keyB = (await server.app.apiKeys.createKey('tenant-b')).key;
    dir = await mkdtemp(path.join(os.tmpdir(), 'direct-'));
  });
  after(async () => {
    await server?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  async function create(key: string, input: Record<string, unknown>): Promise<Created> {
    const answer = await server.graphql(CREATE, { key, variables: { input } });
    assert.equal(answer.body.errors, undefined, JSON.stringify(answer.body.errors));
    return answer.body.data?.['createDirectUpload'] as Created;
  }
  async function errorOf(key: string, input: Record<string, unknown>): Promise<unknown> {
    const answer = await server.graphql(CREATE, { key, variables: { input } });
    return answer.body.errors?.[0]?.extensions?.['code'];
  }

  it('writes a PENDING DIRECT record and a one-time signature whose SourceContext names it (the user\'s context stays on the record)', async () => {
    const before = Math.floor(Date.now() / 1000);
    const created = await create(keyA, { mediaName: 'holiday', procedure: 'LongVideoPreset', sourceContext: 'my-context' });
    assert.equal(created.upload.status, 'PENDING');
    assert.equal(created.upload.source, 'DIRECT');
    assert.equal(created.upload.mediaName, 'holiday');
    assert.equal(created.upload.sourceContext, 'my-context');
    const params = decodeUploadSignature(created.signature)?.params;
    assert.ok(params);
    assert.equal(params.get('secretId'), server.emulator.secretId);
    assert.equal(params.get('oneTimeValid'), '1');
    assert.equal(params.get('procedure'), 'LongVideoPreset');
    const expireTime = Number(params.get('expireTime'));
    assert.ok(expireTime - Number(params.get('currentTimeStamp')) === 300);
    assert.ok(Number(params.get('currentTimeStamp')) >= before);
    assert.equal(new Date(created.expiresAt).getTime(), expireTime * 1000);
    assert.deepEqual(parseDirectSourceContext(params.get('sourceContext') ?? '', server.emulator.secretKey), { tenantId: tenantA, id: created.upload.id });
  });

  it('the signature carries a client straight to VOD: the files land in the emulator, NewFileUpload names the record, the service receives no media bytes', async () => {
    const media = bytes(2 * 1024 * 1024 + 17, 3);
    const mediaPath = path.join(dir, 'clip.mp4');
    await writeFile(mediaPath, media);
    const created = await create(keyA, { id: randomUUID() });
    const done = await uploadDirect(created.signature, { media: { path: mediaPath } }, { vodUrl: server.emulator.vodEndpoint, cosUrl: server.emulator.cosEndpoint });
    assert.equal(sha256(Buffer.from(await (await fetch(done.mediaUrl)).arrayBuffer())), sha256(media));
    const vod = vodClient(server.emulator);
    const events = await pullAtLeast(vod, 1);
    const event = events.find((e) => e.FileUploadEvent?.FileId === done.fileId);
    assert.ok(event);
    const context = event.FileUploadEvent?.MediaBasicInfo?.SourceInfo?.SourceContext ?? '';
    assert.deepEqual(parseDirectSourceContext(context, server.emulator.secretKey), { tenantId: tenantA, id: created.upload.id });
    await confirmAll(vod, events);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /^vod_ingest_bytes_received_total 0$/m);
    assert.match(metrics, /^vod_ingest_direct_uploads_total\{status="PENDING"\} [1-9]/m);
    // The one-time signature is spent.
    await assert.rejects(uploadDirect(created.signature, { media: { path: mediaPath } }, { vodUrl: server.emulator.vodEndpoint, cosUrl: server.emulator.cosEndpoint }), { code: 10006 });
  });

  it('checks its input like uploadMedia, and refuses an id already used', async () => {
    assert.equal(await errorOf(keyA, { id: 'not-a-uuid' }), 'InvalidParameter');
    assert.equal(await errorOf(keyA, { sourceContext: 'x'.repeat(251) }), 'InvalidParameter');
    assert.equal(await errorOf(keyA, { mediaName: 'a/b' }), 'InvalidParameter');
    assert.equal(await errorOf(keyA, { expireTime: '2001-01-01T00:00:00Z' }), 'InvalidParameter.ExpireTime');
    assert.equal(await errorOf(keyA, { subAppId: 0 }), 'InvalidParameterValue.SubAppId');
    const id = randomUUID();
    await create(keyA, { id });
    assert.equal(await errorOf(keyA, { id }), 'InvalidParameter');
  });

  it("keeps tenants apart: B cannot see A's direct upload, and B's use of the same id is B's own record with its own context", async () => {
    const id = randomUUID();
    const a = await create(keyA, { id });
    const seenByB = await server.graphql(UPLOAD, { key: keyB, variables: { id } });
    assert.equal(seenByB.body.data?.['upload'] ?? null, null);
    const b = await create(keyB, { id });
    const contextA = decodeUploadSignature(a.signature)?.params.get('sourceContext');
    const contextB = decodeUploadSignature(b.signature)?.params.get('sourceContext');
    assert.notEqual(contextA, contextB);
    assert.notEqual(parseDirectSourceContext(contextB ?? '', server.emulator.secretKey)?.tenantId, tenantA);
    const seenByA = await server.graphql(UPLOAD, { key: keyA, variables: { id } });
    assert.equal((seenByA.body.data?.['upload'] as { status: string }).status, 'PENDING');
  });

  it('a direct upload VOD never reports is FAILED (DirectUploadExpired) once the signature and the grace have passed, not before', async () => {
    const created = await create(keyA, {});
    const id = created.upload.id;
    const createdAt = Date.now();
    await server.app.directUploads.sweepExpired(new Date(createdAt + 5 * 60_000));
    const early = await server.graphql(UPLOAD, { key: keyA, variables: { id } });
    assert.equal((early.body.data?.['upload'] as { status: string }).status, 'PENDING');
    const swept = await server.app.directUploads.sweepExpired(new Date(createdAt + 7 * 60_000 + 2_000));
    assert.ok(swept >= 1);
    const late = (await server.graphql(UPLOAD, { key: keyA, variables: { id } })).body.data?.['upload'] as { status: string; error: { code: string } };
    assert.equal(late.status, 'FAILED');
    assert.equal(late.error.code, 'DirectUploadExpired');
    assert.equal(await server.app.directUploads.sweepExpired(new Date(createdAt + 7 * 60_000 + 2_000)), 0);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /^vod_ingest_direct_uploads_total\{status="FAILED"\} [1-9]/m);
    assert.match(metrics, /^vod_ingest_errors_total\{code="DirectUploadExpired"\} [1-9]/m);
  });
});
