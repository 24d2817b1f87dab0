import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listManifestReferences } from '../../src/manifest/manifest-references.ts';

/** A static MPD with one SegmentList representation holding `segmentList`, after `prolog` (declaration, DOCTYPE). */
const mpd = (segmentList: string, prolog = ''): string =>
  `${prolog}<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT8S"><Period><AdaptationSet>` +
  `<Representation id="v" bandwidth="1"><SegmentList duration="4">${segmentList}</SegmentList></Representation></AdaptationSet></Period></MPD>`;
const doctype = (declarations: string): string => `<?xml version="1.0"?>\n<!DOCTYPE MPD [${declarations}]>\n`;

const refused = (content: string, why: RegExp): void => {
  assert.throws(() => listManifestReferences('mpd', content), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'InvalidParameterValue.MediaManifestContent');
    assert.match(error.message, why);
    return true;
  });
};

describe('DASH manifests built to hurt the XML reader', () => {
  it('billion laughs: an entity that names another entity is not expanded', () => {
    const lol = doctype(
      '<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
        '<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">' +
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">',
    );
    assert.deepEqual(listManifestReferences('mpd', mpd('<SegmentURL media="&lol3;.m4s"/>', lol)), ['&lol3;.m4s']);
  });

  it('a flat expansion bomb (one long entity named many times) is refused past 64 KiB of growth', () => {
    const bomb = doctype(`<!ENTITY x "${'x'.repeat(1000)}">`);
    refused(mpd(`<SegmentURL media="${'&x;'.repeat(100)}"/>`, bomb), /Expanded content length limit exceeded/);
  });

  it('an entity longer than 1024 characters, or more than 32 declared entities, is refused', () => {
    refused(mpd('<SegmentURL media="&x;"/>', doctype(`<!ENTITY x "${'x'.repeat(1025)}">`)), /size \(1025\) exceeds/);
    const many = Array.from({ length: 33 }, (_, i) => `<!ENTITY e${i} "e">`).join('');
    refused(mpd('<SegmentURL media="a.m4s"/>', doctype(many)), /Entity count \(33\) exceeds/);
  });

  it('external (SYSTEM) and parameter entities are refused, and nothing is read from disk', () => {
    refused(mpd('<SegmentURL media="&passwd;"/>', doctype('<!ENTITY passwd SYSTEM "file:///etc/passwd">')), /External entities are not supported/);
    refused(mpd('<SegmentURL media="a.m4s"/>', doctype('<!ENTITY % p "x"> %p;')), /not well-formed XML/);
  });

  it('a declared entity is listed expanded, as a player reads it (so a parent in it is judged as one)', () => {
    assert.deepEqual(listManifestReferences('mpd', mpd('<SegmentURL media="&up;/x.m4s"/>', doctype('<!ENTITY up "..">'))), ['../x.m4s']);
  });

  it('character references and the five XML entities are decoded; an undeclared entity stays as written', () => {
    const segments =
      '<SegmentURL media="&#x2e;&#46;/x.m4s"/><SegmentURL media="&#x4E2D;&#25991;.m4s"/>' +
      '<SegmentURL media="a&amp;b&lt;c&gt;&quot;d&apos;.m4s"/><SegmentURL media="&nope;.m4s"/>';
    assert.deepEqual(listManifestReferences('mpd', mpd(segments)), ['../x.m4s', '中文.m4s', 'a&b<c>"d\'.m4s', '&nope;.m4s']);
  });

  it('elements nested deeper than 64 levels are refused (no recursion without a bound)', () => {
    refused(mpd(`<SegmentURL media="a.m4s"/>${'<x>'.repeat(100)}${'</x>'.repeat(100)}`), /Maximum nested tags exceeded/);
    refused(mpd(`${'<x>'.repeat(200_000)}${'</x>'.repeat(200_000)}`), /Maximum nested tags exceeded/);
  });

  it('a 4 MiB attribute value is listed whole', () => {
    const long = `${'a'.repeat(4 * 1024 * 1024)}.m4s`;
    assert.deepEqual(listManifestReferences('mpd', mpd(`<SegmentURL media="${long}"/>`)), [long]);
  });

  it('CDATA is text: a BaseURL in CDATA counts, markup inside CDATA is not an element', () => {
    const content =
      '<MPD type="static" mediaPresentationDuration="PT8S"><Period><BaseURL><![CDATA[v/]]></BaseURL><AdaptationSet>' +
      '<Representation id="v" bandwidth="1"><SegmentList><![CDATA[<SegmentURL media="hidden.m4s"/>]]><SegmentURL media="a.m4s"/>' +
      '</SegmentList></Representation></AdaptationSet></Period></MPD>';
    assert.deepEqual(listManifestReferences('mpd', content), ['v/a.m4s']);
  });

  it('comments and processing instructions hide what they contain', () => {
    const segments = '<!-- <SegmentURL media="c.m4s"/> --><?pi <SegmentURL media="p.m4s"/> ?><SegmentURL media="a.m4s"/>';
    assert.deepEqual(listManifestReferences('mpd', mpd(segments)), ['a.m4s']);
  });

  it('namespace prefixes on elements and attributes are dropped (mpd:SegmentURL is a SegmentURL)', () => {
    const content =
      '<mpd:MPD xmlns:mpd="urn:mpeg:dash:schema:mpd:2011" mpd:type="static" mediaPresentationDuration="PT8S"><mpd:Period>' +
      '<mpd:AdaptationSet><mpd:Representation id="v" bandwidth="1"><mpd:SegmentList><mpd:Initialization sourceURL="i.mp4"/>' +
      '<mpd:SegmentURL mpd:media="a.m4s"/></mpd:SegmentList></mpd:Representation></mpd:AdaptationSet></mpd:Period></mpd:MPD>';
    assert.deepEqual(listManifestReferences('mpd', content), ['i.mp4', 'a.m4s']);
  });

  it('a byte order mark before the declaration is accepted', () => {
    assert.deepEqual(listManifestReferences('mpd', `\uFEFF<?xml version="1.0" encoding="UTF-8"?>\n${mpd('<SegmentURL media="a.m4s"/>')}`), ['a.m4s']);
  });

  it('> inside a quoted attribute value does not end the tag', () => {
    assert.deepEqual(listManifestReferences('mpd', mpd('<SegmentURL media="a>b.m4s"/>')), ['a>b.m4s']);
  });

  it('names that reach for Object.prototype are refused and pollute nothing', () => {
    refused(mpd('<SegmentURL media="a.m4s"/><__proto__><polluted>yes</polluted></__proto__>'), /not well-formed XML/);
    refused(mpd('<SegmentURL media="a.m4s" __proto__="x"/>'), /not well-formed XML/);
    refused(mpd('<SegmentURL media="a.m4s" constructor="x"/>'), /not well-formed XML/);
    assert.deepEqual(listManifestReferences('mpd', mpd('<SegmentURL media="a.m4s" hasOwnProperty="x" toString="y"/>')), ['a.m4s']);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  it('malformed documents are refused with the reason and where it is', () => {
    for (const [content, why] of [
      ['', /not well-formed XML: Start tag expected/],
      ['<MPD><Period></MPD>', /not well-formed XML: Expected closing tag 'Period'/],
      ['<MPD type="static"', /not well-formed XML: Unclosed tag 'MPD'/],
      [mpd('<SegmentURL media=a.m4s/>'), /not well-formed XML: Attribute 'media' is without value\. \(line 1, column \d+\)/],
      [mpd('<SegmentURL media="a.m4s" media="b.m4s"/>'), /not well-formed XML: Attribute 'media' is repeated/],
      [`${mpd('')}<MPD/>`, /not well-formed XML: more than one root element/],
      [`${mpd('')}trailing text`, /not well-formed XML: Extra text at the end/],
      ['<!-- a comment that never ends <MPD/>', /not well-formed XML/],
    ] as const) {
      refused(content, why);
    }
  });
});
