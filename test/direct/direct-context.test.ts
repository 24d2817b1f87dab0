import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { directSourceContext, parseDirectSourceContext } from '../../src/direct/direct-context.ts';

describe('direct upload SourceContext', () => {
  const id = '7d3f1c2a-6b8e-4d52-9a1f-0c4e5b6a7d8e';

  it('names the upload, fits VOD\'s 250 characters, and reads back under the same key', () => {
    const context = directSourceContext(id, 'service-key');
    assert.ok(context.startsWith(`vi:d:${id}.`));
    assert.ok(context.length <= 250);
    assert.equal(parseDirectSourceContext(context, 'service-key'), id);
  });

  it('is refused under another key, with another id, a changed mac, or in another form', () => {
    const context = directSourceContext(id, 'service-key');
    assert.equal(parseDirectSourceContext(context, 'other-key'), undefined);
    const otherId = '00000000-0000-4000-8000-000000000000';
    assert.equal(parseDirectSourceContext(context.replace(id, otherId), 'service-key'), undefined);
    const mac = context.slice(context.lastIndexOf('.') + 1);
    const flipped = `${mac[0] === 'A' ? 'B' : 'A'}${mac.slice(1)}`;
    assert.equal(parseDirectSourceContext(context.replace(mac, flipped), 'service-key'), undefined);
    assert.equal(parseDirectSourceContext(context.slice(0, -2), 'service-key'), undefined);
    assert.equal(parseDirectSourceContext('my own context', 'service-key'), undefined);
    assert.equal(parseDirectSourceContext(`vi:d:.${mac}`, 'service-key'), undefined);
    assert.throws(() => directSourceContext('bad id!', 'k'), RangeError);
  });
});
