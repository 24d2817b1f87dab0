/** The media and cover types the emulated VOD accepts (compared case-insensitively). */

export const MEDIA_TYPES: ReadonlySet<string> = new Set([
  // video
  'mp4', 'ts', 'flv', 'wmv', 'asf', 'rm', 'rmvb', 'mpg', 'mpeg', '3gp', 'mov', 'webm', 'mkv', 'avi',
  'm3u8', 'mpd', 'm4v', 'f4v', 'vob',
  // audio
  'mp3', 'm4a', 'flac', 'ogg', 'wav', 'aac', 'ape',
]);

export const COVER_TYPES: ReadonlySet<string> = new Set([
  'jpg', 'jpeg', 'png', 'gif', 'bmp', 'tif', 'tiff', 'webp', 'heic',
]);

export const isMediaType = (t: string): boolean => MEDIA_TYPES.has(t.toLowerCase());
export const isCoverType = (t: string): boolean => COVER_TYPES.has(t.toLowerCase());
