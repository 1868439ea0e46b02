// TypeScript declarations of mosaic-search.js, the <mosaic-search> element (the package's `./element`
// export). Importing the module defines the element; its attributes are listed in the README.
import type { Mosaic } from './mosaic.js';

export class MosaicSearchElement extends HTMLElement {
  /** The open index, once the element has opened it (after `mosaic-ready`); undefined before. */
  readonly db: Mosaic | undefined;
  connectedCallback(): void;
  disconnectedCallback(): void;
}

declare global {
  interface HTMLElementTagNameMap {
    'mosaic-search': MosaicSearchElement;
  }
}
