// The renderer of the IIIF Image plugin: pyramidal derivatives and the pixels of image requests.
export { makePyramid, pyramidLevelSizes, effectiveTileSize, DEFAULT_TILE_SIZE, DEFAULT_PYRAMID_QUALITY, type PyramidInfo, type MakePyramidOptions } from './make-pyramid';
export { openPyramid, forgetPyramid, rawJpegTile, type PyramidFile, type PyramidLevel } from './pyramid-reader';
export { renderImage, fastTile, chooseLevel, levelFactor, levelRegion, DEFAULT_RENDER_QUALITY, type RenderSource, type RenderOptions } from './render-image';
export { RenderError, RENDER_FAULTS, type RenderFault } from './render-error';
