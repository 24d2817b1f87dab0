/** The reliable-callback actions: PullEvents (a long poll) and ConfirmEvents. */
import { checkKnown, optString, optStringArray } from './params.ts';
import { checkSubApp, type ActionRequest, type ActionResult, type VodContext } from './vod-actions.ts';
import { vodErrors } from './vod-errors.ts';

/** ConfirmEvents takes at most this many handles (VOD: 16). */
const MAX_HANDLES = 16;

/**
 * Holds the request until an event of the SubAppId is pullable, or for `longPollMs`. With nothing to
 * deliver VOD answers `ResourceNotFound` (PullEvents' documented not-found case; the emulator's
 * `emptyPullAnswer: 'EmptyEventSet'` answers `EventSet: []` instead).
 */
export async function pullEvents(ctx: VodContext, req: ActionRequest): Promise<ActionResult> {
  const p = req.params;
  checkKnown(p, ['ExtInfo', 'SubAppId']);
  optString(p, 'ExtInfo');
  const subAppId = checkSubApp(ctx, p);
  const events = await ctx.events.longPoll(subAppId);
  if (events.length === 0 && ctx.emptyPullAnswer === 'ResourceNotFound') throw vodErrors.noEvent();
  return { EventSet: events };
}

/** Confirms delivered events by their current handles; all or nothing. */
export async function confirmEvents(ctx: VodContext, req: ActionRequest): Promise<ActionResult> {
  const p = req.params;
  checkKnown(p, ['EventHandles', 'ExtInfo', 'SubAppId']);
  optString(p, 'ExtInfo');
  const handles = optStringArray(p, 'EventHandles');
  if (handles === undefined || handles.length === 0) throw vodErrors.missing('EventHandles');
  if (handles.length > MAX_HANDLES) throw vodErrors.eventHandle(`at most ${MAX_HANDLES} handles a call`);
  const subAppId = checkSubApp(ctx, p);
  await ctx.events.confirm(subAppId, handles);
  return {};
}
