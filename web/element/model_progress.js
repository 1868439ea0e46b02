// The local text model's download, made visible: the fetch handed to Mosaic.open counts the bytes of
// every file under the model's folder as they arrive (the API reads the model through it), so the
// element can show "Loading the text model: 12.3 of 27.9 MB" with a bar before the first search.
// Everything else passes through untouched.

export function countingFetch(modelBaseUrl, onModelBytes) {
  const files = new Map();  // url -> {loaded, total}
  const report = () => {
    let loaded = 0;
    let total = 0;
    for (const file of files.values()) {
      loaded += file.loaded;
      total += file.total ?? file.loaded;
    }
    onModelBytes({ loadedBytes: loaded, totalBytes: total, files: files.size });
  };
  return async (input, init) => {
    const response = await fetch(input, init);
    const url = typeof input === 'string' ? input : input.url;
    if (!url.startsWith(modelBaseUrl) || !response.ok || !response.body) return response;
    const length = Number(response.headers.get('content-length'));
    const file = { loaded: 0, total: Number.isFinite(length) && length > 0 ? length : undefined };
    files.set(url, file);
    report();
    const reader = response.body.getReader();
    const counted = new ReadableStream({
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) {
          file.total = file.loaded;
          report();
          controller.close();
          return;
        }
        file.loaded += value.length;
        report();
        controller.enqueue(value);
      },
      cancel(reason) { return reader.cancel(reason); },
    });
    return new Response(counted, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}
