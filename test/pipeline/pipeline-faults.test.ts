import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { isVodError, VodError } from '../../src/errors/vod-error.ts';
import type { MultipartOutcome } from '../../src/pipeline/object-upload.ts';
import type { UploadPhase } from '../../src/pipeline/progress.ts';
import { uploadMedia, type AppliedUpload, type FileMultipartUpload } from '../../src/pipeline/upload-pipeline.ts';
import { TransientVodError } from '../../src/errors/transient-error.ts';
import { MiB, emulatorDeps, patternSha256, patternStream, startTestEmulator, storedSha256, type TestEmulator } from './support.ts';

describe('pipeline: storage faults, cancellation and hooks', () => {
  let test: TestEmulator;
  before(async () => {
    test = await startTestEmulator();
  });
  after(async () => {
    await test.close();
  });
  beforeEach(() => {
    test.emulator.faults.clear();
    test.emulator.state.resetCounters();
  });

  const media = (size: number, seed: number) => ({ fileName: 'movie.mp4', open: () => patternStream(size, seed) });

  it('retries failed and reset parts and stores exactly the bytes sent', async () => {
    const { emulator } = test;
    emulator.faults.set({ failPartRate: 0.2, failStatus: 500, resetPartNumbers: [3], resetTimes: 1 });
    const size = 16 * MiB + 333;
    const result = await uploadMedia(
      { fields: { region: emulator.region, concurrentUploadNumber: 4 }, media: media(size, 3) },
      emulatorDeps(emulator),
    );
    assert.equal(emulator.state.count('fault.reset'), 1);
    // 17 parts at 20 %: almost always some failures (0.8^17 ≈ 2 % of runs have none; the reset is certain).
    assert.ok(emulator.state.count('cos.uploadPart') >= 17 + 1 + emulator.state.count('fault.partFailure'));
    const record = emulator.state.mediaRecord(result.fileId);
    assert.ok(record !== undefined);
    assert.equal(result.files[0]?.sha256, patternSha256(size, 3));
    assert.equal(await storedSha256(test, record.bucket, record.mediaKey), patternSha256(size, 3));
  });

  it('fails with a coded error, aborts the multipart upload and commits nothing when a part never goes through', async () => {
    const { emulator } = test;
    emulator.faults.set({ failPartNumbers: [2], failStatus: 503 });
    const finished: MultipartOutcome[] = [];
    await assert.rejects(
      uploadMedia({ fields: { region: emulator.region }, media: media(5 * MiB, 4) }, emulatorDeps(emulator), {
        hooks: { onMultipartFinished: (_upload, outcome) => void finished.push(outcome) },
      }),
      (error: unknown) => isVodError(error) && error.code === 'InternalError',
    );
    assert.deepEqual(finished, ['aborted']);
    assert.equal(emulator.state.count('cos.abortMultipart'), 1);
    assert.equal(emulator.state.count('cos.completeMultipart'), 0);
    assert.equal(emulator.state.count('vod.CommitUpload'), 0);
    assert.deepEqual(emulator.state.multipartUploads(), []);
  });

  it('cancels through the AbortSignal mid-upload: RequestCanceled, multipart aborted, no commit', async () => {
    const { emulator } = test;
    emulator.faults.set({ delayMs: 50 });
    const controller = new AbortController();
    const created: FileMultipartUpload[] = [];
    const pending = uploadMedia(
      { fields: { region: emulator.region, concurrentUploadNumber: 2 }, media: media(64 * MiB, 5) },
      emulatorDeps(emulator),
      {
        signal: controller.signal,
        hooks: {
          onMultipartCreated: (upload) => void created.push(upload),
          onProgress: (progress) => {
            if (progress.bytesStored >= 2 * MiB) controller.abort();
          },
        },
      },
    );
    await assert.rejects(pending, { code: 'RequestCanceled' });
    assert.equal(created.length, 1);
    assert.equal(emulator.state.count('cos.abortMultipart'), 1);
    assert.equal(emulator.state.count('vod.CommitUpload'), 0);
    assert.deepEqual(emulator.state.multipartUploads(), []);
    assert.ok(emulator.state.count('cos.uploadPart') < 64, 'stopped early');
  });

  it('ends with the abort reason when it is a VodError', async () => {
    const { emulator } = test;
    const controller = new AbortController();
    controller.abort(new VodError('Interrupted', 'shutting down'));
    await assert.rejects(
      uploadMedia({ fields: { region: emulator.region }, media: media(10, 6) }, emulatorDeps(emulator), {
        signal: controller.signal,
      }),
      { code: 'Interrupted' },
    );
  });

  it('reports phases, bytes read and stored, and the apply and multipart hooks', async () => {
    const { emulator } = test;
    const phases: UploadPhase[] = [];
    let last = { bytesRead: 0, bytesStored: 0 };
    const applied: AppliedUpload[] = [];
    const events: string[] = [];
    const size = 3 * MiB;
    await uploadMedia({ fields: { region: emulator.region }, media: media(size, 8) }, emulatorDeps(emulator), {
      hooks: {
        onProgress: (progress) => {
          if (phases.at(-1) !== progress.phase) phases.push(progress.phase);
          assert.ok(progress.bytesStored <= progress.bytesRead);
          last = progress;
        },
        onApplied: (session) => void applied.push(session),
        onMultipartCreated: (upload) => void events.push(`created ${upload.role} ${upload.bucket}/${upload.key}`),
        onMultipartFinished: (upload, outcome) => void events.push(`${outcome} ${upload.uploadId !== ''}`),
      },
    });
    assert.deepEqual(phases, ['applying', 'uploading', 'committing']);
    assert.equal(last.bytesRead, size);
    assert.equal(last.bytesStored, size);
    assert.equal(applied.length, 1);
    assert.equal(applied[0]?.region, emulator.region);
    assert.ok(applied[0]?.vodSessionKey);
    assert.equal(events.length, 2);
    assert.match(events[0] ?? '', /^created MEDIA /);
    assert.equal(events[1], 'completed true');
  });

  it('announces a multipart upload before creating it, and aborts one whose answer was lost when the retry creates another', async () => {
    const { emulator } = test;
    // InitiateMultipartUpload is carried out but its answer is lost: the retry creates a second upload.
    emulator.faults.dropResponse('cos.initiateMultipart');
    const events: string[] = [];
    const size = 3 * MiB + 7;
    const result = await uploadMedia({ fields: { region: emulator.region }, media: media(size, 12) }, emulatorDeps(emulator), {
      hooks: {
        onMultipartCreating: (file) => void events.push(`creating ${file.role} (${emulator.state.count('cos.initiateMultipart')} created)`),
        onMultipartCreated: (upload) => void events.push(`created ${upload.role}`),
      },
    });
    assert.deepEqual(events, ['creating MEDIA (0 created)', 'created MEDIA'], 'announced before the first CreateMultipartUpload');
    assert.equal(emulator.state.count('cos.initiateMultipart'), 2, 'the lost answer was retried');
    assert.equal(emulator.state.count('cos.abortMultipart'), 1, 'the upload whose answer was lost is aborted');
    assert.deepEqual(emulator.state.multipartUploads(), [], 'nothing is left open once the media is stored');
    const record = emulator.state.mediaRecord(result.fileId);
    assert.equal(await storedSha256(test, record!.bucket, record!.mediaKey), patternSha256(size, 12));
  });

  it('retries ApplyUpload after a transport fault, but only then', async () => {
    const { emulator } = test;
    const deps = emulatorDeps(emulator);
    let calls = 0;
    const result = await uploadMedia({ fields: { region: emulator.region }, media: media(100, 9) }, {
      ...deps,
      vodApiFor: (region) => {
        const real = deps.vodApiFor(region);
        return {
          ...real,
          applyUpload: (input, options) => {
            calls += 1;
            if (calls === 1) return Promise.reject(new TransientVodError('InternalError', 'socket hang up'));
            return real.applyUpload(input, options);
          },
        };
      },
    });
    assert.equal(calls, 2);
    assert.ok(result.fileId);
  });

  it('refuses to commit when the CRC-64 storage reports differs from the bytes sent', async () => {
    const { emulator } = test;
    const deps = emulatorDeps(emulator);
    for (const size of [100, 3 * MiB]) {
      emulator.state.resetCounters();
      await assert.rejects(
        uploadMedia({ fields: { region: emulator.region }, media: media(size, 10) }, {
          ...deps,
          openObjectStore: (target) => {
            const real = deps.openObjectStore(target);
            const corrupt = async <T extends { crc64?: string | undefined }>(stored: Promise<T>): Promise<T> => ({
              ...(await stored),
              crc64: '12345',
            });
            return {
              ...real,
              bucket: real.bucket,
              region: real.region,
              putObject: (input) => corrupt(real.putObject(input)),
              completeMultipartUpload: (input) => corrupt(real.completeMultipartUpload(input)),
            };
          },
        }),
        (error: unknown) => isVodError(error) && error.code === 'InternalError' && /CRC-64/.test(error.message),
      );
      assert.equal(emulator.state.count('vod.CommitUpload'), 0);
    }
  });
});
