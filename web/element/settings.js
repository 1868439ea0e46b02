// The element's settings: its attributes first, else the JSON file its `config` attribute names (the
// web app's config.json, which `mosaic export` writes), else defaults. Addresses in that file are
// relative to it; attributes are relative to the page.
//   index            the index site's folder (default: index/ beside the page)
//   proxy            where POST /api/embed lives (indexes built with a Gemini model)
//   model-base       the local text model's files (default: model/ beside mosaic.mjs)
//   label-threshold  neighbours less similar than this do not vote on the label (default: the model's
//                    close-match similarity from the core, else 0.3)
//   source-base      where the collection's own files are served: the detail view links an item's
//                    file there when the index holds no copy of it (a text file's, say)
//   config           a JSON file with indexUrl, proxyUrl, modelBaseUrl, labelThreshold

async function readConfigFile(address) {
  const url = new URL(address, document.baseURI);
  let response;
  try {
    response = await fetch(url, { cache: 'no-cache' });
  } catch {
    return {};
  }
  // No file means no settings; some hosts answer every missing path with an HTML page.
  if (!response.ok || (response.headers.get('content-type') ?? '').startsWith('text/html')) return {};
  let config;
  try {
    config = await response.json();
  } catch (cause) {
    throw new Error(`${url.pathname.split('/').pop()} is not valid JSON: ${cause.message}`);
  }
  const resolved = {};
  for (const key of ['indexUrl', 'proxyUrl', 'modelBaseUrl']) {
    if (typeof config[key] === 'string') resolved[key] = new URL(config[key], url).href;
  }
  if (typeof config.labelThreshold === 'number') resolved.labelThreshold = config.labelThreshold;
  return resolved;
}

// {settings: {indexUrl, proxyUrl?, modelBaseUrl, labelThreshold?, sourceBaseUrl?}, error?}: a config file that is not
// JSON is reported (its settings then left out), a missing one is no settings.
export async function readSettings(host, defaultModelBaseUrl) {
  let fromFile = {};
  let error;
  if (host.hasAttribute('config')) {
    try {
      fromFile = await readConfigFile(host.getAttribute('config'));
    } catch (cause) {
      error = cause;
    }
  }
  const attribute = (name) => {
    const value = host.getAttribute(name);
    return value === null || value === '' ? undefined : new URL(value, document.baseURI).href;
  };
  const threshold = Number.parseFloat(host.getAttribute('label-threshold') ?? '');
  const settings = {
    indexUrl: attribute('index') ?? fromFile.indexUrl ?? new URL('index/', document.baseURI).href,
    proxyUrl: attribute('proxy') ?? fromFile.proxyUrl,
    modelBaseUrl: attribute('model-base') ?? fromFile.modelBaseUrl ?? defaultModelBaseUrl,
    labelThreshold: Number.isFinite(threshold) ? threshold : fromFile.labelThreshold,
    sourceBaseUrl: attribute('source-base'),
  };
  return { settings, error };
}
