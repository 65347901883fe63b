// The media layer of the inventory plugin: content-type sniffing, technical metadata, thumbnails.
export { sniffType, SNIFF_BYTES, type SniffedType } from './sniff-type';
export { probeMedia, type MediaInfo } from './probe-media';
export { makeThumbnail, type ThumbnailOptions } from './make-thumbnail';
export { formatIcon, formatLabel, type Thumbnail } from './format-icon';
export { MediaError, MEDIA_FAULTS, type MediaFault } from './media-error';
export { mediaTools, MEDIA_TOOLS, type MediaToolName, type MediaToolsOptions } from './media-tools';
export { mediaKind, type MediaKind } from './media-kind';
