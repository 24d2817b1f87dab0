import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { GraphQLAnswer } from '../support/server.ts';
import { assertInvariants, assertRefused } from './surface-support.ts';
import { TwoTenants, uploaded, type Uploaded } from './tenant-support.ts';

const tenants = new TwoTenants('hostile-tenant');

/** The answer with the id replaced, to compare a foreign id's answer with an unused id's. */
function shape(answer: GraphQLAnswer, id: string): string {
  return JSON.stringify({ status: answer.status, body: answer.body }).replaceAll(id, '<id>');
}

const UPLOAD_QUERY = 'query($id: ID!) { upload(id: $id) { id status fileId } }';
const CANCEL = 'mutation($id: ID!) { cancelUpload(id: $id) { id status } }';

describe("hostile tenants: another tenant's id behaves exactly like an unused id", () => {
  it("answers upload(id) on A's id for B exactly as on an unused id (ResourceNotFound)", async () => {
    const theirs = await tenants.finishedUpload(tenants.keyA);
    const unused = randomUUID();
    const foreign = await tenants.server.graphql(UPLOAD_QUERY, { key: tenants.keyB, variables: { id: theirs.id } });
    const never = await tenants.server.graphql(UPLOAD_QUERY, { key: tenants.keyB, variables: { id: unused } });
    assertRefused(foreign, { code: 'ResourceNotFound', status: 200 });
    assert.equal(shape(foreign, theirs.id), shape(never, unused));
    await assertInvariants(tenants.server);
  });

  it("never lists A's uploads to B, whatever the filter", async () => {
    const theirs = await tenants.finishedUpload(tenants.keyA);
    for (const status of [null, 'SUCCEEDED']) {
      const page = await tenants.server.graphql('query($s: UploadStatus) { uploads(first: 100, status: $s) { edges { node { id } } } }', {
        key: tenants.keyB,
        variables: { s: status },
      });
      const ids = (page.body.data?.['uploads'] as { edges: Array<{ node: { id: string } }> }).edges.map((edge) => edge.node.id);
      assert.ok(!ids.includes(theirs.id));
    }
    await assertInvariants(tenants.server);
  });

  it("answers cancelUpload on A's finished id for B exactly as on an unused id (ResourceNotFound)", async () => {
    const theirs = await tenants.finishedUpload(tenants.keyA);
    const unused = randomUUID();
    const foreign = await tenants.server.graphql(CANCEL, { key: tenants.keyB, variables: { id: theirs.id } });
    const never = await tenants.server.graphql(CANCEL, { key: tenants.keyB, variables: { id: unused } });
    assertRefused(foreign, { code: 'ResourceNotFound', status: 200 });
    assert.equal(shape(foreign, theirs.id), shape(never, unused));
    await assertInvariants(tenants.server);
  });

  it("cannot cancel A's running upload: B gets ResourceNotFound and A's upload succeeds", async () => {
    const running = await tenants.inFlightUpload();
    const foreign = await tenants.server.graphql(CANCEL, { key: tenants.keyB, variables: { id: running.id } });
    assertRefused(foreign, { code: 'ResourceNotFound', status: 200 });
    assert.equal(uploaded(await running.answer).status, 'SUCCEEDED');
    await running.progress.done;
    await assertInvariants(tenants.server);
  });

  it("lets B upload with A's finished id: both records coexist, stored under different keys", async () => {
    const theirs = await tenants.finishedUpload(tenants.keyA);
    const mine = await tenants.finishedUpload(tenants.keyB, theirs.id);
    assert.equal(mine.status, 'SUCCEEDED');
    assert.equal(mine.id, theirs.id);
    assert.notEqual(mine.fileId, theirs.fileId, 'a new upload, not A’s record');
    assert.notEqual(mine.mediaUrl, theirs.mediaUrl);
    const a = await tenants.server.graphql(UPLOAD_QUERY, { key: tenants.keyA, variables: { id: theirs.id } });
    const b = await tenants.server.graphql(UPLOAD_QUERY, { key: tenants.keyB, variables: { id: theirs.id } });
    assert.equal((a.body.data?.['upload'] as Uploaded).fileId, theirs.fileId);
    assert.equal((b.body.data?.['upload'] as Uploaded).fileId, mine.fileId);
    const keys = [theirs.fileId, mine.fileId].map((fileId) => tenants.server.emulator.state.mediaRecord(fileId)?.mediaKey);
    assert.ok(keys[0] !== undefined && keys[1] !== undefined && keys[0] !== keys[1]);
    await assertInvariants(tenants.server);
  });

});
