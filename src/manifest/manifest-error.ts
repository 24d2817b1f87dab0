/**
 * A manifest whose references cannot be listed: not an HLS playlist, not well-formed or unsupported
 * DASH, or too many references. `code` is the VOD API's code for it (ParseStreamingManifest answers
 * it; the bundled emulator turns this error into that answer).
 */
export class ManifestError extends Error {
  override readonly name = 'ManifestError';
  readonly code = 'InvalidParameterValue.MediaManifestContent';
}
