# Snowball's English stemmer for shared/text/english_stemmer.cpp, as the target mosaic::snowball.
#
# Natively: Debian's libstemmer (libstemmer-dev, installed by scripts/install-dependencies.sh).
# In wasm there is no Debian binary, so the build compiles the same C code: the `snowball` source
# package of the version libstemmer-dev was built from is downloaded into the build tree
# (scripts/fetch-debian-source.sh, through a deb-src entry only that script's apt sees) and unpacked
# with dpkg-source; Snowball's compiler is built with the host's C compiler and turns
# algorithms/english.sbl into C exactly as Debian's build does (`-eprefix english_UTF_8_ -r ../runtime
# -u`); libstemmer.c is made from its template with a module list holding English alone, so the
# sb_stemmer_* API is the same on both targets. Then emscripten compiles runtime/, the English stemmer
# and libstemmer.c into a small static library. Nothing of it is committed.
if(NOT EMSCRIPTEN)
  find_path(MOSAIC_LIBSTEMMER_INCLUDE_DIR libstemmer.h)
  find_library(MOSAIC_LIBSTEMMER_LIBRARY stemmer)
  if(NOT MOSAIC_LIBSTEMMER_INCLUDE_DIR OR NOT MOSAIC_LIBSTEMMER_LIBRARY)
    message(FATAL_ERROR "libstemmer is missing: run `make dependencies` (installs Debian's libstemmer-dev)")
  endif()
  add_library(mosaic_snowball INTERFACE)
  target_include_directories(mosaic_snowball SYSTEM INTERFACE "${MOSAIC_LIBSTEMMER_INCLUDE_DIR}")
  target_link_libraries(mosaic_snowball INTERFACE "${MOSAIC_LIBSTEMMER_LIBRARY}")
  add_library(mosaic::snowball ALIAS mosaic_snowball)
  return()
endif()

# The version natively linked is the version compiled to wasm.
execute_process(COMMAND dpkg-query -W -f=\${source:Version} libstemmer-dev
                OUTPUT_VARIABLE snowball_debian_version RESULT_VARIABLE query_result ERROR_QUIET)
if(NOT query_result EQUAL 0 OR snowball_debian_version STREQUAL "")
  message(FATAL_ERROR "libstemmer-dev is not installed: run `make dependencies` (the wasm build compiles the "
                      "Snowball sources of the same version)")
endif()
string(REGEX REPLACE "^[0-9]+:" "" snowball_version_no_epoch "${snowball_debian_version}")
string(REGEX REPLACE "-[^-]+$" "" snowball_upstream_version "${snowball_version_no_epoch}")

set(snowball_download_dir "${CMAKE_BINARY_DIR}/debian-source")
set(snowball_source_dir "${snowball_download_dir}/snowball-${snowball_upstream_version}")
set(snowball_generated_dir "${CMAKE_BINARY_DIR}/snowball-english")
set(snowball_ready "${snowball_generated_dir}/.ready-${snowball_version_no_epoch}")

function(mosaic_snowball_step what)
  execute_process(${ARGN} RESULT_VARIABLE step_result OUTPUT_VARIABLE step_output ERROR_VARIABLE step_output)
  if(NOT step_result EQUAL 0)
    message(FATAL_ERROR "Snowball for wasm: ${what} failed (${step_result}):\n${step_output}")
  endif()
endfunction()

if(NOT EXISTS "${snowball_ready}")
  message(STATUS "Snowball ${snowball_debian_version} for wasm: fetching Debian's source package into ${snowball_download_dir}")
  mosaic_snowball_step("downloading the snowball source package"
    COMMAND bash "${PROJECT_SOURCE_DIR}/scripts/fetch-debian-source.sh" fetch snowball "${snowball_debian_version}"
            "${snowball_download_dir}")
  file(REMOVE_RECURSE "${snowball_source_dir}" "${snowball_generated_dir}")
  find_program(MOSAIC_DPKG_SOURCE dpkg-source)
  if(NOT MOSAIC_DPKG_SOURCE)
    message(FATAL_ERROR "dpkg-source is missing: run `make dependencies` (installs dpkg-dev)")
  endif()
  mosaic_snowball_step("unpacking it with dpkg-source"
    COMMAND "${MOSAIC_DPKG_SOURCE}" --no-copy -x "snowball_${snowball_version_no_epoch}.dsc" "${snowball_source_dir}"
    WORKING_DIRECTORY "${snowball_download_dir}")

  # Snowball's compiler, for this machine (the toolchain's compiler makes wasm).
  find_program(MOSAIC_HOST_C_COMPILER NAMES cc gcc clang NO_CMAKE_FIND_ROOT_PATH)
  if(NOT MOSAIC_HOST_C_COMPILER)
    message(FATAL_ERROR "no host C compiler to build Snowball's compiler (install gcc)")
  endif()
  file(GLOB snowball_compiler_sources "${snowball_source_dir}/compiler/*.c")
  file(MAKE_DIRECTORY "${snowball_generated_dir}/src_c" "${snowball_generated_dir}/libstemmer")
  mosaic_snowball_step("building Snowball's compiler"
    COMMAND "${MOSAIC_HOST_C_COMPILER}" -O2 -o "${snowball_generated_dir}/snowball" ${snowball_compiler_sources})
  # As Debian's GNUmakefile does for every UTF-8 stemmer, with our output folder.
  mosaic_snowball_step("generating the English stemmer's C code"
    COMMAND "${snowball_generated_dir}/snowball" "${snowball_source_dir}/algorithms/english.sbl"
            -o "${snowball_generated_dir}/src_c/stem_UTF_8_english" -eprefix english_UTF_8_
            -r "${snowball_source_dir}/runtime" -u)
  # libstemmer.c over English alone: the module list in modules.txt's format, one line.
  file(WRITE "${snowball_generated_dir}/libstemmer/modules.txt" "english UTF_8 english,en,eng\n")
  find_program(MOSAIC_PERL perl REQUIRED NO_CMAKE_FIND_ROOT_PATH)
  mosaic_snowball_step("writing libstemmer's module table"
    COMMAND "${MOSAIC_PERL}" "${snowball_source_dir}/libstemmer/mkmodules.pl" libstemmer/modules.h src_c
            libstemmer/modules.txt libstemmer/mkinc.mak
    WORKING_DIRECTORY "${snowball_generated_dir}")
  file(READ "${snowball_source_dir}/libstemmer/libstemmer_c.in" libstemmer_template)
  string(REPLACE "@MODULES_H@" "modules.h" libstemmer_source "${libstemmer_template}")
  string(REPLACE "../include/libstemmer.h" "libstemmer.h" libstemmer_source "${libstemmer_source}")
  string(REPLACE "../runtime/api.h" "api.h" libstemmer_source "${libstemmer_source}")
  file(WRITE "${snowball_generated_dir}/libstemmer/libstemmer.c" "${libstemmer_source}")
  file(TOUCH "${snowball_ready}")
endif()

enable_language(C)
add_library(mosaic_snowball STATIC
  "${snowball_source_dir}/runtime/api.c"
  "${snowball_source_dir}/runtime/utilities.c"
  "${snowball_generated_dir}/src_c/stem_UTF_8_english.c"
  "${snowball_generated_dir}/libstemmer/libstemmer.c")
target_include_directories(mosaic_snowball PRIVATE "${snowball_source_dir}/runtime" "${snowball_generated_dir}/src_c")
target_include_directories(mosaic_snowball SYSTEM PUBLIC "${snowball_source_dir}/include")
target_compile_options(mosaic_snowball PRIVATE -O2 -w)  # Snowball's own code, as upstream ships it
add_library(mosaic::snowball ALIAS mosaic_snowball)
