// The upload page's Webhooks card: the tenant's endpoints (add, enable/disable, rotate the secret,
// delete) and its 20 newest deliveries (send one again). Everything shown from the API goes in with
// textContent. A signing secret is shown once, right after createWebhookEndpoint or
// rotateWebhookSecret answered it, until "Done" (or the key is forgotten); it is never asked for again.

const DELIVERIES_SHOWN = 20;

const WEBHOOKS_QUERY = `query Webhooks($first: Int!) {
  webhookEndpoints { id url events enabled }
  webhookDeliveries(first: $first) { edges { node {
    id endpointId eventType uploadId status attempts lastStatusCode lastError nextAttemptAt deliveredAt
  } } }
}`;
const CREATE_MUTATION = `mutation CreateEndpoint($input: CreateWebhookEndpointInput!) {
  createWebhookEndpoint(input: $input) { secret endpoint { id url } }
}`;
const UPDATE_MUTATION = `mutation UpdateEndpoint($input: UpdateWebhookEndpointInput!) { updateWebhookEndpoint(input: $input) { id enabled } }`;
const ROTATE_MUTATION = `mutation RotateSecret($id: ID!) { rotateWebhookSecret(id: $id) { secret endpoint { id url } } }`;
const DELETE_MUTATION = `mutation DeleteEndpoint($id: ID!) { deleteWebhookEndpoint(id: $id) }`;
const REDELIVER_MUTATION = `mutation Redeliver($deliveryId: ID!) { redeliverWebhook(deliveryId: $deliveryId) { id status } }`;

const $ = (id) => document.getElementById(id);

/** UPLOAD_SUCCEEDED → upload.succeeded: the name the receiver sees in the body's "type". */
function wireName(eventType) {
  return eventType.toLowerCase().replace('_', '.');
}

function element(tag, properties = {}) {
  return Object.assign(document.createElement(tag), properties);
}

function cell(text, className) {
  return element('td', { textContent: text ?? '', ...(className ? { className } : {}) });
}

function badge(text, status) {
  const span = element('span', { className: 'badge', textContent: text });
  span.dataset.status = status;
  return span;
}

/**
 * Binds the card to the page. The page lends what it already has: its GraphQL call (with the key in
 * use), the check of the key typed into the field, how it shows a coded error, and how it shows a time.
 * Returns refresh (lists again; never rejects: problems show in the card) and clear (for no key).
 */
export function createWebhooksCard({ graphql, useKeyInField, showError, formatTime }) {
  const errorBox = $('hooks-error');
  let generation = 0;

  /** Runs an action with the key in the field; a refused key or a failed call shows in the card. */
  async function withKey(action) {
    errorBox.hidden = true;
    const keyProblem = await useKeyInField();
    if (keyProblem !== undefined) {
      showError(errorBox, keyProblem);
      return false;
    }
    try {
      await action();
      return true;
    } catch (error) {
      showError(errorBox, error);
      return false;
    }
  }

  /** A button that does nothing more while its action runs. */
  function button(label, className, action) {
    const node = element('button', { type: 'button', className, textContent: label });
    node.addEventListener('click', async () => {
      node.disabled = true;
      try {
        await action();
      } finally {
        node.disabled = false;
      }
    });
    return node;
  }

  function showSecret(title, secret) {
    $('hooks-secret-title').textContent = title;
    $('hooks-secret-value').textContent = secret;
    $('hooks-secret-hint').textContent =
      "Copy it now into your receiver's configuration: it is not shown again. Verify requests with it and the standardwebhooks library.";
    $('hooks-secret').hidden = false;
  }

  function hideSecret() {
    $('hooks-secret-value').textContent = '';
    $('hooks-secret').hidden = true;
  }

  async function copySecret() {
    const value = $('hooks-secret-value');
    try {
      await window.navigator.clipboard.writeText(value.textContent);
      $('hooks-secret-hint').textContent = 'Copied to the clipboard. It is not shown again once you press Done.';
    } catch {
      // No clipboard (a page over plain http to another host is not a secure context): select it instead.
      window.getSelection()?.selectAllChildren(value);
      $('hooks-secret-hint').textContent = 'Selected: press Ctrl+C (⌘C on a Mac) to copy it. It is not shown again once you press Done.';
    }
  }

  function renderEndpoints(endpoints) {
    const rows = endpoints.map((endpoint) => {
      const row = element('tr');
      row.dataset.id = endpoint.id;
      const state = cell('');
      state.append(endpoint.enabled ? badge('ENABLED', 'ENABLED') : badge('DISABLED', 'DISABLED'));
      const actions = cell('', 'row-actions');
      actions.append(
        button(endpoint.enabled ? 'Disable' : 'Enable', 'secondary small toggle', () =>
          withKey(async () => {
            await graphql(UPDATE_MUTATION, { input: { id: endpoint.id, enabled: !endpoint.enabled } });
            await refresh();
          }),
        ),
        button('Rotate secret', 'secondary small rotate', () =>
          withKey(async () => {
            const { secret } = (await graphql(ROTATE_MUTATION, { id: endpoint.id })).rotateWebhookSecret;
            showSecret(`New signing secret for ${endpoint.url} (the previous one keeps signing beside it for 24 hours):`, secret);
          }),
        ),
        button('Delete', 'danger small delete', async () => {
          if (!window.confirm(`Delete the webhook endpoint ${endpoint.url}? Nothing more is sent to it.`)) return;
          await withKey(async () => {
            await graphql(DELETE_MUTATION, { id: endpoint.id });
            await refresh();
          });
        }),
      );
      row.append(cell(endpoint.url, 'mono'), cell(endpoint.events.map(wireName).join(', ')), state, actions);
      return row;
    });
    $('hooks-endpoints').querySelector('tbody').replaceChildren(...rows);
    $('hooks-endpoints').hidden = endpoints.length === 0;
    $('hooks-empty').hidden = endpoints.length !== 0;
    $('hooks-empty').textContent = 'No endpoints yet: add one below to be told of every terminal state.';
  }

  function renderDeliveries(deliveries) {
    const rows = deliveries.map((delivery) => {
      const row = element('tr');
      row.dataset.id = delivery.id;
      const upload = cell(delivery.uploadId === null ? '–' : delivery.uploadId.slice(0, 8), 'mono');
      if (delivery.uploadId !== null) {
        upload.title = delivery.uploadId;
        row.dataset.uploadId = delivery.uploadId;
      }
      const status = cell('');
      status.append(badge(delivery.status, delivery.status));
      const answer = cell(delivery.lastStatusCode === null ? (delivery.lastError === null ? '–' : '') : String(delivery.lastStatusCode));
      if (delivery.lastError !== null) answer.append(element('span', { className: 'reason', textContent: delivery.lastError }));
      const again = cell('', 'row-actions');
      again.append(
        button('Send again', 'link small redeliver', () =>
          withKey(async () => {
            await graphql(REDELIVER_MUTATION, { deliveryId: delivery.id });
            await refresh();
          }),
        ),
      );
      row.append(
        cell(wireName(delivery.eventType)),
        upload,
        status,
        cell(String(delivery.attempts)),
        answer,
        cell(delivery.nextAttemptAt === null ? '–' : formatTime(delivery.nextAttemptAt)),
        cell(delivery.deliveredAt === null ? '–' : formatTime(delivery.deliveredAt)),
        again,
      );
      return row;
    });
    $('hooks-deliveries').querySelector('tbody').replaceChildren(...rows);
    $('hooks-deliveries').hidden = deliveries.length === 0;
    $('hooks-deliveries-empty').hidden = deliveries.length !== 0;
  }

  /** Lists endpoints and deliveries with the key in use; a later refresh wins over an earlier slow one. */
  async function refresh() {
    const mine = ++generation;
    try {
      const data = await graphql(WEBHOOKS_QUERY, { first: DELIVERIES_SHOWN });
      if (mine !== generation) return;
      errorBox.hidden = true;
      renderEndpoints(data.webhookEndpoints);
      renderDeliveries(data.webhookDeliveries.edges.map((edge) => edge.node));
    } catch (error) {
      if (mine === generation) showError(errorBox, error);
    }
  }

  function clear() {
    generation++;
    hideSecret();
    errorBox.hidden = true;
    renderDeliveries([]);
    $('hooks-endpoints').querySelector('tbody').replaceChildren();
    $('hooks-endpoints').hidden = true;
    $('hooks-empty').hidden = false;
    $('hooks-empty').textContent = 'Enter your API key to see your webhook endpoints.';
  }

  $('hooks-add').addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = event.target;
    const url = String(new FormData(form).get('url') ?? '').trim();
    const events = new FormData(form).getAll('events').map(String);
    const submit = $('hooks-add-button');
    submit.disabled = true;
    try {
      await withKey(async () => {
        const created = (await graphql(CREATE_MUTATION, { input: { url, events } })).createWebhookEndpoint;
        showSecret(`Signing secret for ${created.endpoint.url}:`, created.secret);
        form.elements.namedItem('url').value = '';
        await refresh();
      });
    } finally {
      submit.disabled = false;
    }
  });
  $('hooks-secret-copy').addEventListener('click', () => void copySecret());
  $('hooks-secret-done').addEventListener('click', hideSecret);

  return { refresh, clear };
}
