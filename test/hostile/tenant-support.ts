// Two tenants on one server, and the uploads the tenant-isolation tests act on: a finished one and
// one still running (slow enough to act on while it runs).
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import { sendMediaUpload, slowBytes, type MultipartAnswer } from '../support/multipart.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { PROGRESS_SUBSCRIPTION, subscribeSse, type SubscriptionResult } from '../support/subscriptions.ts';

export interface Uploaded {
  id: string;
  status: string;
  fileId: string;
  mediaUrl: string;
  files: Array<{ path: string }>;
}

export function uploaded(answer: MultipartAnswer): Uploaded {
  assert.equal(answer.body.errors, undefined, JSON.stringify(answer.body.errors));
  return answer.body.data?.['uploadMedia'] as Uploaded;
}

/** A server with tenants A and B, started before the file's tests and stopped after them. */
export class TwoTenants {
  server!: TestServer;
  keyA!: string;
  keyB!: string;

  constructor(label: string) {
    before(async () => {
      this.server = await startTestServer(label);
      this.keyA = (await this.server.app.apiKeys.createKey('tenant-a')).key;
      this.keyB = (await this.server.app.apiKeys.createKey('tenant-b')).key;
    });
    after(async () => {
      await this.server?.dispose();
    });
  }

  async finishedUpload(key: string, id: string = randomUUID()): Promise<Uploaded> {
    return uploaded(await sendMediaUpload({ url: this.server.url, key, filename: 'clip.mp4', content: randomBytes(2000), input: { id } }).answer);
  }

  /** A's upload, slow enough to act on while it runs; resolves once it is UPLOADING. */
  async inFlightUpload(): Promise<{ id: string; answer: Promise<MultipartAnswer>; progress: SubscriptionResult }> {
    const id = randomUUID();
    const progress = subscribeSse(this.server.url, this.keyA, PROGRESS_SUBSCRIPTION, { id });
    await progress.ready;
    const { answer } = sendMediaUpload({
      url: this.server.url,
      key: this.keyA,
      filename: 'slow.mp4',
      content: slowBytes(randomBytes(2 * 1024 * 1024), 64 * 1024, 40),
      input: { id, mediaSize: 2 * 1024 * 1024 },
    });
    while (!progress.events.some((event) => (event['uploadProgress'] as { status: string }).status === 'UPLOADING')) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return { id, answer, progress };
  }
}
