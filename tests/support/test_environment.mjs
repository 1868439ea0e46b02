// The paths a test takes from ctest's environment (MOSAIC_WEB_DIR, MOSAIC_NATIVE_CLI, ...): their
// values by name, and `skip`, false or a reason naming each one unset or missing, for node:test's
// { skip } option (a test that cannot find what it needs says so rather than passing silently).
import fs from 'node:fs';

export function requiredPaths(names, hint) {
  const values = Object.fromEntries(names.map((name) => [name, process.env[name]]));
  const missing = names.filter((name) => !values[name] || !fs.existsSync(values[name]));
  return { ...values, skip: missing.length > 0 ? `${missing.join(', ')} not set to existing paths (${hint})` : false };
}
