import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { PROGRESS_SUBSCRIPTION, subscribeSse, subscribeWs } from '../support/subscriptions.ts';
import { assertInvariants } from './surface-support.ts';
import { TwoTenants, uploaded } from './tenant-support.ts';

const tenants = new TwoTenants('hostile-tenant-progress');

describe("hostile tenants: another tenant's id reveals nothing to uploadProgress", () => {
  for (const door of ['SSE', 'WebSocket'] as const) {
    it(`reveals nothing over ${door}: B's uploadProgress on A's running id waits like on an unused id`, async () => {
      const subscribe = door === 'SSE' ? subscribeSse : subscribeWs;
      const running = await tenants.inFlightUpload();
      const foreign = subscribe(tenants.server.url, tenants.keyB, PROGRESS_SUBSCRIPTION, { id: running.id });
      const never = subscribe(tenants.server.url, tenants.keyB, PROGRESS_SUBSCRIPTION, { id: randomUUID() });
      await Promise.all([foreign.ready, never.ready]);
      assert.equal(uploaded(await running.answer).status, 'SUCCEEDED');
      await running.progress.done;
      // Every event of A's upload has gone out by now: B saw none of them, as on an id nobody used.
      assert.deepEqual([foreign.events, foreign.errors], [[], []]);
      assert.deepEqual([never.events, never.errors], [[], []]);
      foreign.close();
      never.close();
      await assertInvariants(tenants.server);
    });
  }

  it("lets B upload with A's running id (not refused as in progress), and B's subscription follows B's upload only", async () => {
    const running = await tenants.inFlightUpload();
    const mySubscription = subscribeSse(tenants.server.url, tenants.keyB, PROGRESS_SUBSCRIPTION, { id: running.id });
    await mySubscription.ready;
    const mine = await tenants.finishedUpload(tenants.keyB, running.id);
    assert.equal(mine.status, 'SUCCEEDED');
    await mySubscription.done;
    const seen = mySubscription.events.map((event) => event['uploadProgress'] as { fileId: string | null; status: string });
    assert.equal(seen.at(-1)?.fileId, mine.fileId);
    assert.ok(seen.every((event) => event.fileId === null || event.fileId === mine.fileId), "none of A's snapshots");
    const theirs = uploaded(await running.answer);
    assert.equal(theirs.status, 'SUCCEEDED');
    assert.notEqual(theirs.fileId, mine.fileId);
    await running.progress.done;
    await assertInvariants(tenants.server);
  });
});
