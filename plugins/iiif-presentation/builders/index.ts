// Pure builders of IIIF Presentation 3.0/2.1 documents and Change Discovery 1.0 pages.
export * from './manifest-source';
export * from './iiif-urls';
export * from './dc-language';
export * from './descriptive-properties';
export * from './manifest-plan';
export * from './manifest-v3';
export * from './manifest-v2';
export * from './collection-builders';
export * from './change-discovery';
export * from './builder-errors';
