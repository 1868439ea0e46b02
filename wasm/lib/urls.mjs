// Addresses given to the API: resolved against the page (in a browser) and refused with a clear
// message when they are not URLs (under Node there is no page to resolve a relative one against).
import { MosaicError } from './errors.mjs';

/**
 * @param {string | URL} address
 * @param {string} what  the option's name, for the message
 */
export function resolveUrl(address, what) {
  try {
    return new URL(address, globalThis.location ? globalThis.location.href : undefined);
  } catch {
    throw new MosaicError('invalid_argument', `${what} '${address}' is not a URL (under Node, give an absolute http: or file: URL)`);
  }
}

/**
 * A folder's URL: files are resolved inside it, never beside it.
 * @param {URL} url
 */
export function withTrailingSlash(url) {
  const copy = new URL(url.href);
  if (!copy.pathname.endsWith('/')) copy.pathname += '/';
  return copy;
}
