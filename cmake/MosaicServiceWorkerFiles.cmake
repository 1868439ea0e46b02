# Run as a script (cmake -DAPP_DIR=... -P) after the web app is assembled: writes
# APP_DIR/service-worker-files.js, which web/service-worker.js imports: the app's files (what the
# worker stores at install) and two versions made from file contents, the app's and the local model's.
# A changed file gives a new version, so browsers install the new app and drop the old one; the model
# has its own version so that an app update does not download the model again.
if(NOT APP_DIR)
  message(FATAL_ERROR "MosaicServiceWorkerFiles.cmake: pass -DAPP_DIR=<the assembled app>")
endif()
file(GLOB_RECURSE app_files RELATIVE "${APP_DIR}" "${APP_DIR}/*")
list(SORT app_files)
set(listed_files)
set(app_digest_input "")
set(model_digest_input "")
foreach(app_file ${app_files})
  # Not the app: the build's bookkeeping, the index and config.json (which the export writes per site
  # and the worker asks the network for first), and the worker's own scripts (the browser checks those).
  if(app_file MATCHES "^(index/|\\.assembled$|config\\.json$|service-worker\\.js$|service-worker-files\\.js$)")
    continue()
  endif()
  file(SHA256 "${APP_DIR}/${app_file}" file_digest)
  if(app_file MATCHES "^model/")
    string(APPEND model_digest_input "${app_file} ${file_digest}\n")
  else()
    string(APPEND app_digest_input "${app_file} ${file_digest}\n")
    list(APPEND listed_files "\"${app_file}\"")
  endif()
endforeach()
string(SHA256 app_version "${app_digest_input}")
string(SHA256 model_version "${model_digest_input}")
string(SUBSTRING "${app_version}" 0 16 app_version)
string(SUBSTRING "${model_version}" 0 16 model_version)
list(JOIN listed_files ",\n    " files_text)
file(WRITE "${APP_DIR}/service-worker-files.js.new"
"// Written by the build (cmake/MosaicServiceWorkerFiles.cmake) for service-worker.js: the app's files and
// the versions made from their contents (the app's, the local model's).
self.mosaicAppBuild = {
  version: '${app_version}',
  modelVersion: '${model_version}',
  files: [
    ${files_text}
  ],
};
")
file(COPY_FILE "${APP_DIR}/service-worker-files.js.new" "${APP_DIR}/service-worker-files.js" ONLY_IF_DIFFERENT)
file(REMOVE "${APP_DIR}/service-worker-files.js.new")
