import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isResumable, pauseOrFail } from '../../src/uploads/interruption.ts';

describe('pauseOrFail', () => {
  const now = new Date('2026-11-30T12:00:00Z');

  it('pauses a resumable upload until now + RESUME_TTL', () => {
    assert.deepEqual(pauseOrFail({ resumeTtlMs: 60_000, resumable: true, now }), {
      status: 'PAUSED',
      resumableUntil: new Date('2026-11-30T12:01:00Z'),
    });
  });

  it('fails when resuming is off or the upload cannot be resumed', () => {
    assert.deepEqual(pauseOrFail({ resumeTtlMs: 0, resumable: true, now }), { status: 'FAILED' });
    assert.deepEqual(pauseOrFail({ resumeTtlMs: 60_000, resumable: false, now }), { status: 'FAILED' });
  });

  it('finds resumable only a plain media upload past ApplyUpload whose media is not stored yet', () => {
    assert.equal(isResumable({ status: 'UPLOADING', mediaType: 'mp4', mediaStored: false }), true);
    assert.equal(isResumable({ status: 'PENDING', mediaType: 'mp4', mediaStored: false }), false);
    assert.equal(isResumable({ status: 'COMMITTING', mediaType: 'mp4', mediaStored: false }), false);
    assert.equal(isResumable({ status: 'UPLOADING', mediaType: 'mp4', mediaStored: true }), false);
    assert.equal(isResumable({ status: 'UPLOADING', mediaType: 'm3u8', mediaStored: false }), false);
    assert.equal(isResumable({ status: 'UPLOADING', mediaType: 'mpd', mediaStored: false }), false);
  });
});
