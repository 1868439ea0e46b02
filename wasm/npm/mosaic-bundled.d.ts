// The bundler entry (mosaic-bundled.mjs) exports exactly what mosaic.mjs does. './mosaic.js' names
// mosaic.d.ts the way TypeScript's node16/nodenext resolution requires (an extension, .js for .d.ts).
export * from './mosaic.js';
export { default } from './mosaic.js';
