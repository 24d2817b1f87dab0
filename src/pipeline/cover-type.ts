import { fileTypeFromBuffer } from 'file-type';
import { extensionOf } from './upload-request.ts';

/** How much of a file's start file-type reads to recognise any format it knows. */
export const COVER_SNIFF_BYTES = 4100;

/** The image types VOD's ModifyMediaInfo takes as `CoverData` (a cover set after the media is committed). */
export const SETTABLE_COVER_TYPES: ReadonlySet<string> = new Set(['jpg', 'jpeg', 'png', 'gif']);

/** The cover's type: its file name's extension, else what its first bytes say (images only). */
export async function coverTypeOf(fileName: string | undefined, head: Uint8Array): Promise<string | undefined> {
  return extensionOf(fileName) ?? (await imageTypeOf(head));
}

/** The image type the bytes' magic numbers give (`png`, `jpg`, `gif`, `webp`, ...), if any. */
export async function imageTypeOf(head: Uint8Array): Promise<string | undefined> {
  const type = await fileTypeFromBuffer(head.subarray(0, COVER_SNIFF_BYTES));
  return type?.mime.startsWith('image/') === true ? type.ext : undefined;
}
