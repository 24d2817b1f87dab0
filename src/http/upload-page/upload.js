// The upload page: plain browser JavaScript, no framework, no external assets.
// Upload: XMLHttpRequest with a FormData per the GraphQL multipart request spec (XHR reports what was
// sent). Progress: the uploadProgress subscription over SSE (fetch + ReadableStream, since EventSource
// cannot send the Authorization header), opened before the upload with a client-chosen id.

import { sendDirect } from './direct-upload.js';
import { createWebhooksCard } from './webhooks.js';

const GRAPHQL = '/graphql';
const KEY_STORAGE = 'vod-ingest.apiKey';
const RECENT_EVERY_MS = 4000;
const TERMINAL = new Set(['SUCCEEDED', 'FAILED', 'CANCELED']);

const UPLOAD_MUTATION = `mutation Upload($input: UploadMediaInput!) {
  uploadMedia(input: $input) { id status mediaName bytesTotal bytesReceived bytesUploaded fileId mediaUrl coverUrl requestId error { code message }
    processing { status error { code message } outputs { kind definition url } } }
}`;
const PROGRESS_SUBSCRIPTION = `subscription Progress($id: ID!) {
  uploadProgress(id: $id, untilProcessed: true) { id status bytesTotal bytesReceived bytesUploaded progress fileId mediaUrl coverUrl requestId error { code message }
    deletedAt processing { status error { code message } outputs { kind definition url } } }
}`;
const CANCEL_MUTATION = `mutation Cancel($id: ID!) { cancelUpload(id: $id) { id status error { code message } } }`;
const RECENT_QUERY = `query Recent { uploads(first: 10) { edges { node {
  id status mediaName bytesTotal bytesReceived fileId mediaUrl createdAt error { code message }
} } } }`;

const $ = (id) => document.getElementById(id);

/** An error as the API states it: a code and a human-readable message. */
class ApiError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

let apiKey = sessionStorage.getItem(KEY_STORAGE) ?? '';
let current; // { id, upload, subscription, canceling }
let recentTimer;

// ---------- talking to the API ----------

function authHeaders() {
  return { authorization: `Bearer ${apiKey}` };
}

/** The data of a GraphQL answer, or its first error as an ApiError. */
function unwrap(body, status) {
  const error = body?.errors?.[0];
  if (error !== undefined) throw new ApiError(error.message, error.extensions?.code ?? `HTTP ${status}`);
  if (body?.data == null) throw new ApiError(`The server gave an unexpected answer (HTTP ${status}).`, 'InternalError');
  return body.data;
}

async function graphql(query, variables) {
  let response;
  try {
    response = await fetch(GRAPHQL, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...authHeaders() },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError('Could not reach the server.', 'NetworkError');
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(`The server gave an unexpected answer (HTTP ${response.status}).`, 'InternalError');
  }
  return unwrap(body, response.status);
}

/**
 * Subscribes to an upload's progress over GraphQL over SSE ("distinct connections": one POST with
 * `Accept: text/event-stream`). `ready` resolves once the server has answered (the subscription is
 * listening), `done` once the stream ends.
 */
function watchProgress(id, onSnapshot) {
  const controller = new AbortController();
  let markReady;
  const ready = new Promise((resolve) => (markReady = resolve));
  const done = (async () => {
    try {
      const response = await fetch(GRAPHQL, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...authHeaders() },
        body: JSON.stringify({ query: PROGRESS_SUBSCRIPTION, variables: { id } }),
        signal: controller.signal,
      });
      markReady();
      if (!(response.headers.get('content-type') ?? '').includes('text/event-stream')) {
        unwrap(await response.json().catch(() => undefined), response.status);
        return;
      }
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done: ended } = await reader.read();
        if (ended) return;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: ?(.*)$/m.exec(block)?.[1];
          const data = [...block.matchAll(/^data: ?(.*)$/gm)].map((match) => match[1]).join('\n');
          if (event === 'complete') return;
          if (event === 'next' && data !== '') onSnapshot(unwrap(JSON.parse(data), response.status).uploadProgress);
        }
      }
    } catch (error) {
      markReady();
      if (controller.signal.aborted) return;
      throw error;
    }
  })();
  return { ready, done, close: () => controller.abort() };
}

/** Sends the files per the GraphQL multipart request spec; the cover first, so its name gives its type. */
function sendUpload(input, media, cover, onSent) {
  const form = new FormData();
  const variables = { input: { ...input, media: null, ...(cover ? { cover: null } : {}) } };
  const map = cover ? { cover: ['variables.input.cover'], media: ['variables.input.media'] } : { media: ['variables.input.media'] };
  form.append('operations', JSON.stringify({ query: UPLOAD_MUTATION, variables }));
  form.append('map', JSON.stringify(map));
  if (cover) form.append('cover', cover, cover.name);
  form.append('media', media, media.name);

  const xhr = new XMLHttpRequest();
  const done = new Promise((resolve, reject) => {
    xhr.upload.addEventListener('progress', (event) => onSent(event.loaded, event.total));
    xhr.addEventListener('load', () => {
      let body;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        reject(new ApiError(`The server gave an unexpected answer (HTTP ${xhr.status}).`, 'InternalError'));
        return;
      }
      try {
        resolve(unwrap(body, xhr.status).uploadMedia);
      } catch (error) {
        reject(error);
      }
    });
    xhr.addEventListener('error', () => reject(new ApiError('The connection to the server broke off.', 'NetworkError')));
    xhr.addEventListener('abort', () => reject(new ApiError('The upload was stopped in the browser.', 'RequestCanceled')));
  });
  xhr.open('POST', GRAPHQL);
  for (const [name, value] of Object.entries(authHeaders())) xhr.setRequestHeader(name, value);
  xhr.setRequestHeader('graphql-require-preflight', '1');
  xhr.setRequestHeader('accept', 'application/json');
  xhr.send(form);
  return { done, abort: () => xhr.abort() };
}

// ---------- helpers ----------

function newUploadId() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  // Pages served over plain HTTP to another host are not a secure context: build a v4 UUID by hand.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function formatBytes(bytes) {
  if (bytes == null) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

function formatTime(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleString();
}

function describeError(error) {
  return error instanceof ApiError ? error : new ApiError(error?.message ?? String(error), 'Error');
}

function showError(element, error) {
  const { code, message } = describeError(error);
  element.replaceChildren(Object.assign(document.createElement('code'), { textContent: code }), document.createTextNode(message));
  element.hidden = false;
}

// ---------- the key ----------

function setKeyStatus(text, kind) {
  const status = $('key-status');
  status.textContent = text;
  status.className = `hint${kind ? ` ${kind}` : ''}`;
}

/**
 * Checks a key (by listing the tenant's uploads) and takes it: kept for this tab once accepted.
 * Resolves with undefined when accepted, otherwise with the ApiError saying why not.
 */
async function useKey(key) {
  apiKey = key.trim();
  if (apiKey === '') {
    stopRecentPolling();
    setKeyStatus('Enter your API key above first.', 'bad');
    return new ApiError('Enter your API key above first.', 'AuthFailure');
  }
  setKeyStatus('Checking the key…');
  try {
    await refreshRecent();
    sessionStorage.setItem(KEY_STORAGE, apiKey);
    $('forget-key').hidden = false;
    setKeyStatus('Key accepted. Kept in this tab only (sessionStorage).', 'ok');
    startRecentPolling();
    void webhooks.refresh();
    return undefined;
  } catch (error) {
    const refusal = describeError(error);
    // Not kept: the next action checks whatever is in the field again.
    apiKey = '';
    sessionStorage.removeItem(KEY_STORAGE);
    stopRecentPolling();
    webhooks.clear();
    const { code, message } = refusal;
    setKeyStatus(code === 'AuthFailure' ? `This key was refused (AuthFailure): ${message}` : `${code}: ${message}`, 'bad');
    return refusal;
  }
}

/**
 * The key is what the field shows: a key typed (or changed) without pressing "Use key" is checked
 * and taken before the action that needs it. Resolves like useKey.
 */
async function useKeyInField() {
  const typed = $('api-key').value.trim();
  if (typed !== '' && typed === apiKey) return undefined;
  return useKey(typed);
}

function forgetKey() {
  apiKey = '';
  sessionStorage.removeItem(KEY_STORAGE);
  $('api-key').value = '';
  $('forget-key').hidden = true;
  stopRecentPolling();
  $('recent').hidden = true;
  $('recent-empty').hidden = false;
  $('recent-empty').textContent = 'Enter your API key to see your uploads.';
  webhooks.clear();
  setKeyStatus('Key forgotten.');
}

// ---------- recent uploads ----------

async function refreshRecent() {
  const data = await graphql(RECENT_QUERY, {});
  const nodes = data.uploads.edges.map((edge) => edge.node);
  const body = $('recent').querySelector('tbody');
  body.replaceChildren(
    ...nodes.map((node) => {
      const row = document.createElement('tr');
      row.dataset.id = node.id;
      const name = cell(node.mediaName);
      const status = cell('');
      status.append(Object.assign(document.createElement('span'), { className: 'badge', textContent: node.status }));
      status.firstChild.dataset.status = node.status;
      if (node.error) status.append(Object.assign(document.createElement('span'), { className: 'reason', textContent: node.error.code }));
      const fileId = cell('');
      fileId.className = 'mono';
      if (node.fileId && node.mediaUrl) {
        fileId.append(Object.assign(document.createElement('a'), { href: node.mediaUrl, textContent: node.fileId, target: '_blank', rel: 'noopener noreferrer' }));
      } else fileId.textContent = node.fileId ?? '–';
      row.append(name, status, cell(formatBytes(node.bytesTotal ?? node.bytesReceived)), fileId, cell(formatTime(node.createdAt)));
      return row;
    }),
  );
  $('recent').hidden = nodes.length === 0;
  $('recent-empty').hidden = nodes.length !== 0;
  $('recent-empty').textContent = 'No uploads yet.';
}

/** The Refresh button: with the key in the field (checking it lists the uploads and webhooks already). */
async function refreshWithKeyInField() {
  const typed = $('api-key').value.trim();
  if (typed !== apiKey) {
    await useKeyInField();
    return;
  }
  void webhooks.refresh();
  try {
    await refreshRecent();
  } catch (error) {
    const { code, message } = describeError(error);
    setKeyStatus(`${code}: ${message}`, 'bad');
  }
}

function cell(text) {
  return Object.assign(document.createElement('td'), { textContent: text ?? '' });
}

function startRecentPolling() {
  stopRecentPolling();
  recentTimer = setInterval(() => {
    if (document.visibilityState === 'visible' && apiKey !== '') refreshRecent().catch(() => undefined);
  }, RECENT_EVERY_MS);
}

function stopRecentPolling() {
  if (recentTimer !== undefined) clearInterval(recentTimer);
  recentTimer = undefined;
}

// ---------- one upload ----------

function readInput(form, media) {
  const values = new FormData(form);
  const text = (name) => {
    const value = String(values.get(name) ?? '').trim();
    return value === '' ? undefined : value;
  };
  const integer = (name) => (text(name) === undefined ? undefined : Number.parseInt(text(name), 10));
  const expire = text('expireTime');
  const input = {
    mediaName: text('mediaName'),
    procedure: text('procedure'),
    classId: integer('classId'),
    storageRegion: text('storageRegion'),
    subAppId: integer('subAppId'),
    expireTime: expire === undefined ? undefined : new Date(expire).toISOString(),
    sourceContext: text('sourceContext'),
    mediaSize: media.size,
  };
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined));
}

function renderSnapshot(record, { meters = true } = {}) {
  if (record == null) return;
  const badge = $('status');
  badge.textContent = record.status;
  badge.dataset.status = record.status;
  const total = record.bytesTotal ?? 0;
  if (!meters) {
    // Direct uploads: the SDK's progress drives the meters; the record gives status and result.
  } else if (total > 0) {
    $('stored').max = total;
    $('stored').value = Math.min(record.bytesUploaded, total);
  }
  if (meters) $('stored-text').textContent = total > 0 ? `${formatBytes(record.bytesUploaded)} of ${formatBytes(total)}` : formatBytes(record.bytesUploaded);
  const row = record.id === undefined ? null : document.querySelector(`#recent tr[data-id="${record.id}"] .badge`);
  if (row) {
    row.textContent = record.status;
    row.dataset.status = record.status;
  }
  if (record.status === 'SUCCEEDED') renderResult(record);
  if (record.error) showError($('error'), new ApiError(record.error.message, record.error.code));
  if (TERMINAL.has(record.status)) finish();
}

function renderResult(record) {
  $('file-id').textContent = record.fileId ?? '';
  const mediaLink = $('media-url');
  mediaLink.textContent = record.mediaUrl ?? '';
  if (record.mediaUrl) mediaLink.href = record.mediaUrl;
  const coverLink = $('cover-url');
  coverLink.textContent = record.coverUrl ?? '–';
  if (record.coverUrl) coverLink.href = record.coverUrl;
  else coverLink.removeAttribute('href');
  $('request-id').textContent = record.requestId ?? '';
  renderProcessing(record.processing);
  $('result').hidden = false;
}

/** VOD's task flow after the upload: its status, its error, and links to what it produced. */
function renderProcessing(processing) {
  const cell = $('processing');
  if (processing == null) return;
  const status = Object.assign(document.createElement('span'), { className: 'badge', textContent: processing.status });
  status.dataset.status = processing.status;
  const parts = [status];
  if (processing.error) parts.push(Object.assign(document.createElement('span'), { className: 'reason', textContent: `${processing.error.code}: ${processing.error.message}` }));
  for (const output of processing.outputs ?? []) {
    const label = `${output.kind}${output.definition == null ? '' : ` ${output.definition}`}`;
    parts.push(Object.assign(document.createElement('a'), { href: output.url, textContent: label, target: '_blank', rel: 'noopener noreferrer', className: 'output' }));
  }
  cell.replaceChildren(...parts);
}

function finish() {
  $('cancel').hidden = true;
  $('start').disabled = false;
  refreshRecent().catch(() => undefined);
}

async function startUpload(event) {
  event.preventDefault();
  const media = $('media').files[0];
  const cover = $('cover').files[0];
  const card = $('progress-card');
  $('error').hidden = true;
  $('result').hidden = true;
  if (media === undefined) {
    card.hidden = false;
    showError($('error'), new ApiError('Choose a media file to upload.', 'InvalidParameter'));
    return;
  }
  $('start').disabled = true;
  const keyProblem = await useKeyInField();
  if (keyProblem !== undefined) {
    $('start').disabled = false;
    card.hidden = false;
    showError($('error'), keyProblem);
    return;
  }
  const id = newUploadId();
  card.hidden = false;
  card.dataset.uploadId = id;
  $('upload-id').textContent = id;
  $('progress-title').textContent = media.name;
  renderSnapshot({ status: 'PENDING', bytesTotal: media.size, bytesUploaded: 0 });
  $('sent').value = 0;
  $('sent-text').textContent = `0 B of ${formatBytes(media.size + (cover?.size ?? 0))}`;
  $('start').disabled = true;
  $('cancel').hidden = false;
  $('cancel').disabled = false;
  $('direct-note').hidden = true;

  if (new FormData(event.target).get('mode') === 'direct') {
    await startDirectUpload(event.target, id, media, cover);
    return;
  }

  const subscription = watchProgress(id, renderSnapshot);
  subscription.done.catch((error) => showError($('error'), error));
  await Promise.race([subscription.ready, new Promise((resolve) => setTimeout(resolve, 3000))]);

  const upload = sendUpload({ id, ...readInput(event.target, media) }, media, cover, (loaded, total) => {
    $('sent').max = total;
    $('sent').value = loaded;
    $('sent-text').textContent = `${formatBytes(loaded)} of ${formatBytes(total)}`;
  });
  current = { id, upload, subscription };
  let succeeded = false;
  try {
    const record = await upload.done;
    succeeded = record?.status === 'SUCCEEDED';
    renderSnapshot(record);
  } catch (error) {
    showError($('error'), error);
    const uploadId = id;
    // The record (when one was written) has the final word on the status.
    try {
      const data = await graphql('query One($id: ID!) { upload(id: $id) { id status bytesTotal bytesUploaded error { code message } } }', { id: uploadId });
      if (data.upload) renderSnapshot(data.upload);
      else renderSnapshot({ status: 'FAILED', bytesUploaded: 0 });
    } catch {
      renderSnapshot({ status: 'FAILED', bytesUploaded: 0 });
    }
  } finally {
    finish();
    // A succeeded upload's subscription goes on until its processing is over (the server ends it).
    if (!succeeded) setTimeout(() => subscription.close(), 2000);
  }
}

function showSent(loaded, total) {
  $('sent').max = total;
  $('sent').value = loaded;
  $('sent-text').textContent = `${formatBytes(loaded)} of ${formatBytes(total)}`;
}

/** "Direct to VOD": sign, send with the SDK, then follow the record (PENDING until VOD's event). */
async function startDirectUpload(form, id, media, cover) {
  const { mediaSize: _size, ...fields } = readInput(form, media);
  const note = $('direct-note');
  let sending;
  try {
    sending = await sendDirect({
      graphql,
      // The name VOD gives the media (the SDK's default too): so the record and the list show it at once.
      input: { id, mediaName: media.name.replace(/\.[^.]*$/, ''), ...fields },
      media,
      cover,
      onSent: (loaded, total) => {
        showSent(loaded, total);
        $('stored').max = total;
        $('stored').value = loaded;
        $('stored-text').textContent = `${formatBytes(loaded)} of ${formatBytes(total)}`;
      },
    });
  } catch (error) {
    showError($('error'), error);
    renderSnapshot({ status: 'FAILED', bytesUploaded: 0 }, { meters: false });
    return;
  }
  const subscription = watchProgress(id, (record) => renderSnapshot(record, { meters: false }));
  subscription.done.catch((error) => showError($('error'), error));
  current = { id, direct: sending, subscription };
  note.textContent = 'Sending straight to VOD; the service never sees the bytes.';
  note.hidden = false;
  try {
    const answer = await sending.done;
    renderResult({ fileId: answer.fileId, mediaUrl: answer.video?.url, coverUrl: answer.cover?.url, requestId: '' });
    note.textContent = "VOD has the file. The record stays PENDING until VOD's NewFileUpload event reaches the service.";
    $('cancel').hidden = true;
    $('start').disabled = false;
    refreshRecent().catch(() => undefined);
  } catch (error) {
    showError($('error'), new ApiError(error?.message ?? String(error), error?.code === undefined ? 'Error' : `VOD ${error.code}`));
    note.hidden = true;
    finish();
  }
}

async function cancelUpload() {
  if (current === undefined) return;
  if (current.direct !== undefined) {
    current.direct.cancel();
    $('cancel').disabled = true;
    return;
  }
  $('cancel').disabled = true;
  try {
    renderSnapshot((await graphql(CANCEL_MUTATION, { id: current.id })).cancelUpload);
  } catch (error) {
    if (error.code === 'ResourceNotFound') current.upload.abort(); // not started on the server yet
    else showError($('error'), error);
  }
}

// ---------- files: choose or drop ----------

function bindDrop(zoneId, inputId, nameId) {
  const zone = $(zoneId);
  const input = $(inputId);
  const show = () => {
    const file = input.files[0];
    $(nameId).textContent = file ? `${file.name} · ${formatBytes(file.size)}` : $(nameId).dataset.empty;
    zone.classList.toggle('filled', file !== undefined);
  };
  $(nameId).dataset.empty = $(nameId).textContent;
  input.addEventListener('change', show);
  zone.addEventListener('dragover', (event) => {
    event.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('over');
    if (event.dataTransfer?.files.length) {
      input.files = event.dataTransfer.files;
      show();
    }
  });
}

// ---------- start ----------

const webhooks = createWebhooksCard({ graphql, useKeyInField, showError, formatTime });

bindDrop('media-drop', 'media', 'media-name');
bindDrop('cover-drop', 'cover', 'cover-name');
$('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void useKey($('api-key').value);
});
$('forget-key').addEventListener('click', forgetKey);
$('upload-form').addEventListener('submit', (event) => void startUpload(event));
$('cancel').addEventListener('click', () => void cancelUpload());
$('refresh').addEventListener('click', () => void refreshWithKeyInField());
if (apiKey !== '') {
  $('api-key').value = apiKey;
  void useKey(apiKey);
}
