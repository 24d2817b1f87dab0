import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sendMediaUpload, sendMultipart, slowBytes, UPLOAD_MUTATION, type MultipartAnswer } from '../support/multipart.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

const MAX_FILE_BYTES = 4 * 1024 * 1024;
const MAX_FILES = 3;

let server: TestServer;
let key: string;
let otherKey: string;

before(async () => {
  // RESUME_TTL=0: a client that goes away fails its upload at once, as before resuming existed (see test/resume).
  server = await startTestServer('failures', {
    env: { MAX_FILE_BYTES: String(MAX_FILE_BYTES), MAX_FILES: String(MAX_FILES), RESUME_TTL: '0' },
  });
  key = (await server.app.apiKeys.createKey('failures')).key;
  otherKey = (await server.app.apiKeys.createKey('someone-else')).key;
});
after(async () => {
  await server.dispose();
});

function uploadOne(content: Buffer | (() => AsyncIterable<Buffer>), input: Record<string, unknown> = {}, filename = 'clip.mp4') {
  return sendMediaUpload({ url: server.url, key, filename, content, input });
}

function errorOf(answer: MultipartAnswer): { code: unknown; uploadId: unknown; requestId: unknown; message: string } {
  const [error] = answer.body.errors ?? [];
  assert.ok(error, `expected an error, got ${JSON.stringify(answer.body)}`);
  return {
    code: error.extensions?.['code'],
    uploadId: error.extensions?.['uploadId'],
    requestId: error.extensions?.['requestId'],
    message: error.message,
  };
}

async function recordOf(id: string): Promise<Record<string, unknown> | undefined> {
  const answer = await server.graphql('query($id: ID!) { upload(id: $id) { id status error { code message } requestId } }', {
    key,
    variables: { id },
  });
  return answer.body.data?.['upload'] as Record<string, unknown> | undefined;
}

async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('uploadMedia failures', () => {
  for (const code of [
    'InvalidParameterValue.MediaType',
    'InvalidParameterValue.CoverType',
    'InvalidParameterValue.SubAppId',
    'InvalidParameter.ExpireTime',
    'InvalidParameterValue.VodSessionKey',
    'ResourceNotFound',
    'InternalError',
  ]) {
    it(`passes the VOD API's ${code} through unchanged, to the client and the record`, async () => {
      server.emulator.faults.failNextVod(code, { action: code.endsWith('VodSessionKey') || code === 'ResourceNotFound' ? 'CommitUpload' : 'ApplyUpload' });
      const id = randomUUID();
      const error = errorOf(await uploadOne(randomBytes(1000), { id }).answer);
      assert.equal(error.code, code);
      assert.equal(error.uploadId, id);
      assert.equal(typeof error.requestId, 'string');
      const record = await recordOf(id);
      assert.equal(record?.['status'], 'FAILED');
      assert.deepEqual((record?.['error'] as { code: string }).code, code);
      assert.equal(record?.['requestId'], error.requestId);
    });
  }

  it('refuses bad input before any cloud call, with a clear code and no record', async () => {
    const applies = server.emulator.state.count('vod.ApplyUpload');
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ expireTime: 'next tuesday' }, 'clip.mp4', 'InvalidParameter.ExpireTime'],
      [{ expireTime: '2001-01-01T00:00:00Z' }, 'clip.mp4', 'InvalidParameter.ExpireTime'],
      [{ sourceContext: 'x'.repeat(251) }, 'clip.mp4', 'InvalidParameter'],
      [{ subAppId: -4 }, 'clip.mp4', 'InvalidParameterValue.SubAppId'],
      [{ concurrentUploadNumber: 65 }, 'clip.mp4', 'InvalidParameter'],
      [{}, 'no-extension', 'InvalidParameterValue.MediaType'],
      [{ id: 'not-a-uuid' }, 'clip.mp4', 'InvalidParameter'],
    ];
    for (const [input, filename, code] of cases) {
      const error = errorOf(await uploadOne(randomBytes(5000), input, filename).answer);
      assert.equal(error.code, code, `${JSON.stringify(input)} ${filename}: ${error.message}`);
      assert.equal(error.uploadId, undefined, 'no record was written');
    }
    assert.equal(server.emulator.state.count('vod.ApplyUpload'), applies);
  });

  it('refuses a bad HLS manifest with a code, storing nothing', async () => {
    const applies = server.emulator.state.count('vod.ApplyUpload');
    const manifests: Array<[string, string[]]> = [
      ['#EXTM3U\n#EXTINF:4,\nhttp://cdn.example.com/a.ts\n', []],
      ['#EXTM3U\n#EXTINF:4,\n/abs/a.ts\n', []],
      ['#EXTM3U\n#EXTINF:4,\n../up.ts\n', []],
      ['#EXTM3U\n#EXTINF:4,\na.ts\n', []],
      ['#EXTM3U\n#EXTINF:4,\na.ts\n', ['a.ts', 'extra.ts']],
    ];
    for (const [manifest, segmentPaths] of manifests) {
      const { answer } = sendMultipart({
        url: server.url,
        key,
        query: UPLOAD_MUTATION,
        variables: { input: { media: null, segments: segmentPaths.map((path) => ({ path, file: null })) } },
        map: { m: ['variables.input.media'], ...Object.fromEntries(segmentPaths.map((_, i) => [`s${i}`, [`variables.input.segments.${i}.file`]])) },
        files: [
          { field: 'm', filename: 'index.m3u8', content: Buffer.from(manifest) },
          ...segmentPaths.map((_, i) => ({ field: `s${i}`, filename: `s${i}.ts`, content: randomBytes(100) })),
        ],
      });
      const error = errorOf(await answer);
      assert.equal(error.code, 'InvalidParameter', `${JSON.stringify(manifest)}: ${error.message}`);
    }
    assert.equal(server.emulator.state.count('vod.ApplyUpload'), applies, 'no ApplyUpload for a bad manifest');
  });

  it('cancelUpload mid-stream: CANCELED, multipart aborted, nothing committed', async () => {
    const id = randomUUID();
    const commits = server.emulator.state.count('vod.CommitUpload');
    const aborts = server.emulator.state.count('cos.abortMultipart');
    const { answer } = uploadOne(slowBytes(randomBytes(MAX_FILE_BYTES - 1), 128 * 1024, 40), { id });
    await waitFor(() => server.emulator.state.multipartUploads().length > 0, 'a multipart upload to start');
    const canceled = await server.graphql('mutation($id: ID!) { cancelUpload(id: $id) { id status error { code } } }', {
      key,
      variables: { id },
    });
    assert.deepEqual(canceled.body.data, { cancelUpload: { id, status: 'CANCELED', error: { code: 'RequestCanceled' } } });
    const error = errorOf(await answer);
    assert.equal(error.code, 'RequestCanceled');
    assert.equal(error.uploadId, id);
    assert.equal(server.emulator.state.multipartUploads().length, 0, 'no multipart upload left open');
    assert.ok(server.emulator.state.count('cos.abortMultipart') > aborts);
    assert.equal(server.emulator.state.count('vod.CommitUpload'), commits);
  });

  it('with RESUME_TTL=0, a client that disconnects mid-body leaves the record FAILED (RequestCanceled) and the multipart aborted', async () => {
    const id = randomUUID();
    const commits = server.emulator.state.count('vod.CommitUpload');
    const { request, answer } = uploadOne(slowBytes(randomBytes(MAX_FILE_BYTES - 1), 128 * 1024, 40), { id });
    answer.catch(() => undefined);
    await waitFor(() => server.emulator.state.multipartUploads().length > 0, 'a multipart upload to start');
    request.destroy();
    await waitFor(async () => (await recordOf(id))?.['status'] === 'FAILED', 'the record to fail');
    const failed = await recordOf(id);
    assert.equal((failed?.['error'] as { code: string }).code, 'RequestCanceled');
    await waitFor(() => server.emulator.state.multipartUploads().length === 0, 'the multipart upload to be aborted');
    assert.equal(server.emulator.state.count('vod.CommitUpload'), commits);
  });

  it('refuses an oversize file with LimitExceeded while streaming, aborting the partial upload', async () => {
    const id = randomUUID();
    const error = errorOf(await uploadOne(randomBytes(MAX_FILE_BYTES + 1024 * 1024), { id }).answer);
    assert.equal(error.code, 'LimitExceeded');
    assert.equal((await recordOf(id))?.['status'], 'FAILED');
    await waitFor(() => server.emulator.state.multipartUploads().length === 0, 'the partial upload to be aborted');
  });

  it('refuses more files than MAX_FILES with LimitExceeded', async () => {
    const paths = ['a.ts', 'b.ts', 'c.ts'];
    const { answer } = sendMultipart({
      url: server.url,
      key,
      query: UPLOAD_MUTATION,
      variables: { input: { media: null, segments: paths.map((path) => ({ path, file: null })) } },
      map: { m: ['variables.input.media'], ...Object.fromEntries(paths.map((_, i) => [`s${i}`, [`variables.input.segments.${i}.file`]])) },
      files: [
        { field: 'm', filename: 'index.m3u8', content: Buffer.from('#EXTM3U\na.ts\nb.ts\nc.ts\n') },
        ...paths.map((_, i) => ({ field: `s${i}`, filename: `s${i}.ts`, content: randomBytes(10) })),
      ],
    });
    const result = await answer;
    assert.equal(result.status, 413);
    assert.equal(errorOf(result).code, 'LimitExceeded');
  });

  it('refuses a multipart request without a CSRF preflight header', async () => {
    const { answer } = sendMediaUpload({ url: server.url, key, filename: 'clip.mp4', content: randomBytes(10), headers: {} });
    const result = await answer;
    assert.equal(result.status, 400);
    assert.equal(errorOf(result).code, 'InvalidParameter');
    assert.match(errorOf(result).message, /CSRF/);
  });

  it('refuses a multipart request without a key before reading it', async () => {
    const { answer } = sendMediaUpload({
      url: server.url,
      filename: 'clip.mp4',
      content: slowBytes(randomBytes(2 * 1024 * 1024), 64 * 1024, 5),
    });
    const result = await answer;
    assert.equal(result.status, 401);
    assert.equal(errorOf(result).code, 'AuthFailure');
  });

  it('refuses a malformed multipart body with InvalidParameter', async () => {
    const response = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${key}`,
        'graphql-require-preflight': '1',
        'content-type': 'multipart/form-data; boundary=xyz',
      },
      body: '--xyz\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{not json\r\n--xyz--\r\n',
    });
    assert.equal(response.status, 400);
    const body = (await response.json()) as { errors: Array<{ extensions: { code: string } }> };
    assert.equal(body.errors[0]?.extensions.code, 'InvalidParameter');
  });

  it('refuses files sent out of order instead of hanging', async () => {
    const { answer } = sendMultipart({
      url: server.url,
      key,
      query: UPLOAD_MUTATION,
      variables: { input: { media: null, segments: [{ path: 'a.ts', file: null }] } },
      map: { s: ['variables.input.segments.0.file'], m: ['variables.input.media'] },
      files: [
        { field: 's', filename: 'a.ts', content: randomBytes(512 * 1024) },
        { field: 'm', filename: 'index.m3u8', content: Buffer.from('#EXTM3U\na.ts\n') },
      ],
    });
    const error = errorOf(await answer);
    assert.equal(error.code, 'InvalidParameter');
    assert.match(error.message, /order/);
  });

  it("answers ResourceNotFound for another tenant's upload id", async () => {
    const id = randomUUID();
    const { body } = await uploadOne(randomBytes(1000), { id }).answer;
    assert.equal((body.data?.['uploadMedia'] as { status: string }).status, 'SUCCEEDED');
    const cancel = await server.graphql('mutation($id: ID!) { cancelUpload(id: $id) { id } }', { key: otherKey, variables: { id } });
    assert.equal(cancel.body.errors?.[0]?.extensions?.['code'], 'ResourceNotFound');
    const read = await server.graphql('query($id: ID!) { upload(id: $id) { id } }', { key: otherKey, variables: { id } });
    assert.equal(read.body.errors?.[0]?.extensions?.['code'], 'ResourceNotFound');
  });

  it('refuses a repeat of an in-flight id', async () => {
    const id = randomUUID();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const data = randomBytes(2 * 1024 * 1024);
    // The first upload sends half its bytes, then waits until the repeat has been answered.
    const first = uploadOne(async function* () {
      yield data.subarray(0, data.length / 2);
      await gate;
      yield data.subarray(data.length / 2);
    }, { id });
    await waitFor(async () => (await recordOf(id))?.['status'] === 'UPLOADING', 'the first upload to be uploading');
    const error = errorOf(await uploadOne(randomBytes(1000), { id }).answer);
    release();
    assert.equal(error.code, 'InvalidParameter');
    assert.match(error.message, /in progress/);
    const done = await first.answer;
    assert.equal((done.body.data?.['uploadMedia'] as { status: string }).status, 'SUCCEEDED', JSON.stringify(done.body));
  });
});
