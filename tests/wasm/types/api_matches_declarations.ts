// The declarations (wasm/mosaic.d.ts) held against the implementation (wasm/mosaic.mjs and its lib/
// modules, read with their JSDoc types): every declared export must be something the module really
// exports, with a type the declaration accepts. An export the .d.ts names but the module lacks, or a
// method whose implementation takes or returns another shape, fails here.
import type * as Declared from '../../../wasm/mosaic';
import * as Implemented from '../../../wasm/mosaic.mjs';

// A class is compared by its static members and its instances' members. Its construct signature is
// left out: Mosaic's constructor is private to the API (Mosaic.open makes instances), and takes
// internal state the declarations do not describe.
type Shape<Module> = {
  [Name in keyof Module]: Module[Name] extends { prototype: infer Instance }
    ? { statics: Omit<Module[Name], 'prototype'>; instance: Instance }
    : Module[Name];
};

export const implementedAsDeclared: Shape<typeof Declared> = {} as Shape<typeof Implemented>;
// MosaicError's constructor is public: applications may throw their own.
export const errorAsDeclared: typeof Declared.MosaicError = Implemented.MosaicError;
