export * from './parse-records';
export * from './record-error';
export * from './marc-record';
export { readIso2709, readIso2709Records, type Iso2709Options, type ReadMarcRecord } from './iso2709-reader';
export { readMarcXml } from './marcxml-reader';
export { writeMarcXml, type MarcXmlWriteOptions } from './marcxml-writer';
export { marcToDc } from './marc-to-dc';
export { modsToDc } from './mods-reader';
export { dcToOaiDcXml } from './oai-dc-writer';
