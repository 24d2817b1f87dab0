import type { GraphiQLOptions } from 'graphql-yoga';

const EXAMPLES = `# vod-ingest: examples. Put your API key in the Headers tab below:
#   {"Authorization": "Bearer <your api key>"}
# Run one operation with the ▶ button (it offers the name), e.g. RecentUploads.
# Uploading a file needs a multipart request: use the upload page at /, the CLI, or curl (see README).

# Your latest uploads, newest first.
query RecentUploads {
  uploads(first: 10) {
    edges {
      node { id status mediaName bytesTotal progress fileId mediaUrl coverUrl error { code message } createdAt }
    }
    pageInfo { hasNextPage endCursor }
  }
}

# Live progress of one upload (set "id" in the Variables tab): snapshots until it ends.
subscription WatchUpload($id: ID!) {
  uploadProgress(id: $id) { id status bytesReceived bytesUploaded bytesTotal progress fileId mediaUrl error { code message } }
}

# Stop an upload that is still running.
mutation CancelUpload($id: ID!) {
  cancelUpload(id: $id) { id status error { code message } }
}

# After the upload: VOD's task flow (uploadMedia with procedure), until it ends.
subscription WatchProcessing($id: ID!) {
  uploadProgress(id: $id, untilProcessed: true) {
    id status fileId
    processing { status taskId error { code message } outputs { kind definition url size } finishedAt }
  }
}

# What VOD knows of the media (DescribeMediaInfos).
query MediaInfo($id: ID!) {
  media(id: $id) { fileId name type mediaUrl coverUrl size duration createdAt transcodes { definition url size } }
}

# Delete the media from VOD; the record keeps its history and gets deletedAt.
mutation DeleteMedia($id: ID!) {
  deleteMedia(id: $id) { id status deletedAt }
}
`;

const HEADERS = JSON.stringify({ Authorization: 'Bearer <your api key>' }, null, 2);
const VARIABLES = JSON.stringify({ id: '<an upload id from RecentUploads>' }, null, 2);

/**
 * GraphiQL as a person meets it: a tab of this API's examples, the Headers editor open with the
 * Authorization template, and the key kept only for the page's lifetime (never in localStorage).
 */
export const GRAPHIQL_OPTIONS: GraphiQLOptions = {
  title: 'vod-ingest GraphiQL',
  defaultQuery: EXAMPLES,
  defaultTabs: [{ query: EXAMPLES, variables: VARIABLES, headers: HEADERS }],
  headers: HEADERS,
  defaultHeaders: HEADERS,
  shouldPersistHeaders: false,
  defaultEditorToolsVisibility: 'headers',
};
