/**
 * DASH (static MPD) references. Per Representation, with BaseURL resolution (MPD → Period →
 * AdaptationSet → Representation; a BaseURL ending in `/` is a directory, any other BaseURL is also
 * reported as a file) and SegmentTemplate/SegmentList/SegmentBase inherited from Period and
 * AdaptationSet (attributes merge, the nearest SegmentTimeline wins):
 * - SegmentTemplate@initialization and @media expanded with $RepresentationID$, $Bandwidth$,
 *   $Number$ (from @startNumber, default 1), $Time$, `%0Nd` widths and `$$`; the segment count comes
 *   from a SegmentTimeline (S@t/@d/@r, r = -1 repeats to the next S or the period end) or from
 *   @duration/@timescale over Period@duration or MPD@mediaPresentationDuration (or @endNumber).
 * - SegmentList: Initialization@sourceURL and SegmentURL@media. SegmentBase: Initialization@sourceURL
 *   and RepresentationIndex@sourceURL.
 * References are joined to their base by plain string concatenation (no `..` normalization).
 */
import { ManifestError } from './manifest-error.ts';
import { childrenNamed, firstChild, parseXmlTree, XmlError, type XmlElement } from './xml-tree.ts';

const MAX_REFS = 200_000;

const hasScheme = (ref: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(ref);
const resolve = (base: string, ref: string): string =>
  hasScheme(ref) || ref.startsWith('/') ? ref : base.slice(0, base.lastIndexOf('/') + 1) + ref;

/** Parses an xs:duration (`PT1H2M3.5S`) into seconds; undefined when absent or malformed. */
export function parseDuration(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(value.trim());
  if (m === null) return undefined;
  const [y, mo, d, h, mi, s] = m.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number];
  return ((y * 365 + mo * 30 + d) * 24 + h) * 3600 + mi * 60 + s;
}

interface Scope {
  readonly base: string;
  readonly template: Map<string, string>;
  readonly timeline: XmlElement | undefined;
  readonly segmentLists: XmlElement[];
  readonly segmentBases: XmlElement[];
}

export function substitute(template: string, vars: Readonly<Record<string, string | number>>): string {
  return template.replace(/\$(RepresentationID|Number|Time|Bandwidth|SubNumber)?(?:%0(\d+)d)?\$/g, (all, name?: string, width?: string) => {
    if (name === undefined) return all === '$$' ? '$' : all;
    const v = vars[name];
    if (v === undefined) return all;
    return width === undefined ? String(v) : String(v).padStart(Number(width), '0');
  });
}

class DashParser {
  readonly refs: string[] = [];

  add(ref: string): void {
    if (this.refs.length >= MAX_REFS) throw new ManifestError(`more than ${MAX_REFS} references`);
    this.refs.push(ref);
  }

  /** Applies an element's BaseURL and segment descriptions to the inherited scope. */
  enter(scope: Scope, el: XmlElement): Scope {
    let base = scope.base;
    const baseUrl = firstChild(el, 'BaseURL')?.text.trim();
    if (baseUrl !== undefined && baseUrl !== '') {
      base = resolve(base, baseUrl);
      if (!base.endsWith('/')) this.add(base);
    }
    const tmpl = firstChild(el, 'SegmentTemplate');
    const template = new Map(scope.template);
    for (const [k, v] of tmpl?.attrs ?? []) template.set(k, v);
    const list = firstChild(el, 'SegmentList');
    const segBase = firstChild(el, 'SegmentBase');
    return {
      base,
      template,
      timeline: firstChild(tmpl, 'SegmentTimeline') ?? scope.timeline,
      segmentLists: list === undefined ? scope.segmentLists : [...scope.segmentLists, list],
      segmentBases: segBase === undefined ? scope.segmentBases : [...scope.segmentBases, segBase],
    };
  }

  representation(scope: Scope, rep: XmlElement, periodDuration: number | undefined): void {
    const vars: Record<string, string | number> = { RepresentationID: rep.attrs.get('id') ?? '', Bandwidth: rep.attrs.get('bandwidth') ?? '' };
    const t = scope.template;
    const init = t.get('initialization');
    if (init !== undefined) this.add(resolve(scope.base, substitute(init, vars)));
    const media = t.get('media');
    if (media !== undefined) {
      for (const seg of this.segments(t, scope.timeline, periodDuration)) {
        this.add(resolve(scope.base, substitute(media, { ...vars, ...seg })));
      }
    }
    for (const list of scope.segmentLists) {
      const src = firstChild(list, 'Initialization')?.attrs.get('sourceURL');
      if (src !== undefined) this.add(resolve(scope.base, src));
    }
    const lastWithUrls = [...scope.segmentLists].reverse().find((l) => childrenNamed(l, 'SegmentURL').length > 0);
    for (const u of lastWithUrls === undefined ? [] : childrenNamed(lastWithUrls, 'SegmentURL')) {
      const m = u.attrs.get('media');
      if (m !== undefined && m !== '') this.add(resolve(scope.base, m));
    }
    for (const sb of scope.segmentBases) {
      for (const child of ['Initialization', 'RepresentationIndex']) {
        const src = firstChild(sb, child)?.attrs.get('sourceURL');
        if (src !== undefined) this.add(resolve(scope.base, src));
      }
    }
  }

  private *segments(t: Map<string, string>, timeline: XmlElement | undefined, periodDuration: number | undefined): Generator<{ Number: number; Time: number }> {
    const startNumber = Number(t.get('startNumber') ?? 1);
    const timescale = Number(t.get('timescale') ?? 1);
    const periodEnd = periodDuration === undefined ? undefined : periodDuration * timescale + Number(t.get('presentationTimeOffset') ?? 0);
    let number = startNumber;
    if (timeline !== undefined) {
      const ss = childrenNamed(timeline, 'S');
      let time = 0;
      for (const [i, s] of ss.entries()) {
        if (s.attrs.has('t')) time = Number(s.attrs.get('t'));
        const d = Number(s.attrs.get('d'));
        if (!(d > 0)) throw new ManifestError('SegmentTimeline S without a positive @d');
        let r = Number(s.attrs.get('r') ?? 0);
        if (r < 0) {
          const nextT = ss[i + 1]?.attrs.get('t');
          const until = nextT !== undefined ? Number(nextT) : periodEnd;
          if (until === undefined) throw new ManifestError('S@r=-1 needs a following S@t or a known period duration');
          r = Math.ceil((until - time) / d - 1e-9) - 1;
        }
        for (let k = 0; k <= r; k++) {
          yield { Number: number++, Time: time };
          time += d;
        }
      }
      return;
    }
    const duration = Number(t.get('duration'));
    if (!(duration > 0)) throw new ManifestError('SegmentTemplate@media needs a SegmentTimeline or @duration');
    const endNumber = t.get('endNumber');
    let count: number;
    if (endNumber !== undefined) count = Number(endNumber) - startNumber + 1;
    else if (periodDuration !== undefined) count = Math.ceil((periodDuration * timescale) / duration - 1e-9);
    else throw new ManifestError('SegmentTemplate@duration needs Period@duration or MPD@mediaPresentationDuration');
    if (!Number.isFinite(count) || count > MAX_REFS) throw new ManifestError('too many segments');
    for (let k = 0; k < count; k++) yield { Number: number++, Time: k * duration };
  }
}

export function listDashReferences(content: string): string[] {
  let root: XmlElement;
  try {
    root = parseXmlTree(content);
  } catch (error) {
    throw new ManifestError(`mpd is not well-formed XML: ${error instanceof XmlError ? error.message : String(error)}`);
  }
  if (root.name !== 'MPD') throw new ManifestError('mpd root element must be MPD');
  if (root.attrs.get('type') === 'dynamic') throw new ManifestError('dynamic (live) MPDs are not supported');
  const mpdDuration = parseDuration(root.attrs.get('mediaPresentationDuration'));
  const parser = new DashParser();
  const top = parser.enter({ base: '', template: new Map(), timeline: undefined, segmentLists: [], segmentBases: [] }, root);
  const periods = childrenNamed(root, 'Period');
  for (const [i, period] of periods.entries()) {
    const start = parseDuration(period.attrs.get('start')) ?? 0;
    const nextStart = parseDuration(periods[i + 1]?.attrs.get('start'));
    const periodDuration =
      parseDuration(period.attrs.get('duration')) ??
      (nextStart !== undefined ? nextStart - start : mpdDuration === undefined ? undefined : mpdDuration - start);
    const ps = parser.enter(top, period);
    for (const set of childrenNamed(period, 'AdaptationSet')) {
      const as = parser.enter(ps, set);
      for (const rep of childrenNamed(set, 'Representation')) parser.representation(parser.enter(as, rep), rep, periodDuration);
    }
  }
  return parser.refs;
}
