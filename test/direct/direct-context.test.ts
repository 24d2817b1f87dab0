import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { directSourceContext, parseDirectSourceContext } from '../../src/direct/direct-context.ts';

describe('direct upload SourceContext', () => {
  const key = { tenantId: '0b8a2f4e-1c3d-4e5f-8a9b-0c1d2e3f4a5b', id: '7d3f1c2a-6b8e-4d52-9a1f-0c4e5b6a7d8e' };

  it("names the tenant and the upload, fits VOD's 250 characters, and reads back under the same key", () => {
    const context = directSourceContext(key, 'service-key');
    assert.ok(context.startsWith(`vi:d:${key.tenantId}.${key.id}.`));
    assert.ok(context.length <= 250);
    assert.deepEqual(parseDirectSourceContext(context, 'service-key'), key);
    const longest = directSourceContext({ tenantId: 'a'.repeat(100), id: 'b'.repeat(100) }, 'k');
    assert.ok(longest.length <= 250);
  });

  it('is refused under another key, for another tenant or id, with a changed mac, or in another form', () => {
    const context = directSourceContext(key, 'service-key');
    assert.equal(parseDirectSourceContext(context, 'other-key'), undefined);
    const other = '00000000-0000-4000-8000-000000000000';
    assert.equal(parseDirectSourceContext(context.replace(key.id, other), 'service-key'), undefined);
    assert.equal(parseDirectSourceContext(context.replace(key.tenantId, other), 'service-key'), undefined);
    const mac = context.slice(context.lastIndexOf('.') + 1);
    const flipped = `${mac.startsWith('A') ? 'B' : 'A'}${mac.slice(1)}`;
    assert.equal(parseDirectSourceContext(context.replace(mac, flipped), 'service-key'), undefined);
    assert.equal(parseDirectSourceContext(context.slice(0, -2), 'service-key'), undefined);
    assert.equal(parseDirectSourceContext('my own context', 'service-key'), undefined);
    assert.equal(parseDirectSourceContext(`vi:d:${key.tenantId}..${mac}`, 'service-key'), undefined);
    assert.equal(parseDirectSourceContext(`${context}.x`, 'service-key'), undefined);
    assert.throws(() => directSourceContext({ tenantId: 't', id: 'bad id!' }, 'k'), RangeError);
  });
});
