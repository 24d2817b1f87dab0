// "Direct to VOD": the service signs, the browser sends the files straight to VOD with Tencent's
// own SDK (vod-js-sdk-v6, served from this origin and loaded only when this mode is used). The
// record (source DIRECT) stays PENDING until VOD's NewFileUpload event reaches the service.

const CREATE_DIRECT = `mutation Direct($input: CreateDirectUploadInput!) {
  createDirectUpload(input: $input) { signature expiresAt upload { id status source } }
}`;
const SDK_URL = '/upload-page/vod-js-sdk-v6.js';

let sdk;

/** Loads vod-js-sdk-v6 once (a UMD bundle: it defines window.TcVod). */
export function loadVodSdk() {
  sdk ??= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = SDK_URL;
    script.addEventListener('load', () => resolve(window.TcVod?.default ?? window.TcVod));
    script.addEventListener('error', () => {
      sdk = undefined;
      reject(new Error('Could not load vod-js-sdk-v6.'));
    });
    document.head.append(script);
  });
  return sdk;
}

/**
 * Asks the service for a signature (createDirectUpload), then starts the SDK's upload.
 * `onSent(loaded, total)` follows the SDK's progress over media and cover together.
 * Resolves with `{ created, done, cancel }`: `done` settles with VOD's answer ({ fileId, video, cover }).
 */
export async function sendDirect({ graphql, input, media, cover, onSent }) {
  const created = (await graphql(CREATE_DIRECT, { input })).createDirectUpload;
  const TcVod = await loadVodSdk();
  const tcVod = new TcVod({
    getSignature: () => Promise.resolve(created.signature),
    allowReport: false, // no usage reports to Tencent from this page
    enableResume: false, // a one-time signature cannot resume another tab's session
    enableRaceRegion: false,
  });
  const uploader = tcVod.upload({
    mediaFile: media,
    ...(cover ? { coverFile: cover } : {}),
    ...(input.mediaName ? { mediaName: input.mediaName } : {}),
    ...(input.expireTime ? { expireTime: input.expireTime } : {}),
  });
  const total = media.size + (cover?.size ?? 0);
  const loaded = { media: 0, cover: 0 };
  const report = () => onSent(loaded.media + loaded.cover, total);
  uploader.on('media_progress', (info) => {
    loaded.media = info.loaded ?? 0;
    report();
  });
  uploader.on('cover_progress', (info) => {
    loaded.cover = info.loaded ?? 0;
    report();
  });
  return { created, done: uploader.done(), cancel: () => uploader.cancel() };
}
