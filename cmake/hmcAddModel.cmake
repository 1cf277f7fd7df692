# hmc_add_model(<target> MODEL <file> [TUNING_DB <file>]
#               [TARGET <halide target>] [NAME <name>]
#               [WEIGHTS embedded|external] [AUDIO_FRONTEND])
#
# Compiles <file> with `hmc compile` at build time into
# ${CMAKE_CURRENT_BINARY_DIR}/hmc/<target>/ and defines the imported shared
# library <target> (lib<name>.so, include folder holding <name>.h).
# <name> defaults to <target>. WEIGHTS external writes <name>.weights beside
# the library, which maps it at create (ship it next to the .so).
# AUDIO_FRONTEND compiles a speech encoder to take 16 kHz audio and return
# CTC token ids as well (hmc compile --audio-frontend). TUNING_DB takes the
# kernels' schedules from a database written by `hmc tune`.
function(hmc_add_model target)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "AUDIO_FRONTEND"
    "MODEL;TUNING_DB;TARGET;NAME;WEIGHTS" "")
  if(ARG_UNPARSED_ARGUMENTS)
    string(JOIN " " unknown ${ARG_UNPARSED_ARGUMENTS})
    message(FATAL_ERROR "hmc_add_model(${target}): unknown arguments: "
      "${unknown} (expected MODEL, TUNING_DB, TARGET, NAME, WEIGHTS, "
      "AUDIO_FRONTEND)")
  endif()
  if(ARG_KEYWORDS_MISSING_VALUES)
    message(FATAL_ERROR "hmc_add_model(${target}): no value given for "
      "${ARG_KEYWORDS_MISSING_VALUES}")
  endif()
  if(NOT ARG_MODEL)
    message(FATAL_ERROR "hmc_add_model(${target}): MODEL <file> is required")
  endif()
  if(TARGET ${target})
    message(FATAL_ERROR "hmc_add_model(${target}): target already exists")
  endif()
  if(NOT ARG_NAME)
    set(ARG_NAME ${target})
  endif()
  if(NOT ARG_NAME MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR "hmc_add_model(${target}): NAME '${ARG_NAME}' is not "
      "a C identifier (name it with NAME <name>)")
  endif()
  get_filename_component(model "${ARG_MODEL}" ABSOLUTE
    BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")

  set(out_dir "${CMAKE_CURRENT_BINARY_DIR}/hmc/${target}")
  set(library "${out_dir}/lib${ARG_NAME}.so")
  set(header "${out_dir}/${ARG_NAME}.h")
  set(command hmc::hmc compile "${model}" -o "${out_dir}" --name "${ARG_NAME}")
  set(depends "${model}")
  if(ARG_TUNING_DB)
    get_filename_component(tuning_db "${ARG_TUNING_DB}" ABSOLUTE
      BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND command --tuning-db "${tuning_db}")
    list(APPEND depends "${tuning_db}")
  endif()
  if(ARG_TARGET)
    list(APPEND command --target "${ARG_TARGET}")
  endif()
  if(ARG_AUDIO_FRONTEND)
    list(APPEND command --audio-frontend)
  endif()
  set(outputs "${library}" "${header}")
  if(ARG_WEIGHTS STREQUAL "external")
    list(APPEND command --weight-storage external)
    list(APPEND outputs "${out_dir}/${ARG_NAME}.weights")
  elseif(ARG_WEIGHTS AND NOT ARG_WEIGHTS STREQUAL "embedded")
    message(FATAL_ERROR "hmc_add_model(${target}): WEIGHTS must be embedded "
      "or external, not '${ARG_WEIGHTS}'")
  endif()
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND ${command}
    DEPENDS ${depends} "$<TARGET_FILE:hmc::hmc>"
    COMMENT "hmc: compiling ${ARG_MODEL} into lib${ARG_NAME}.so"
    VERBATIM)
  add_custom_target(${target}_hmc_build DEPENDS ${outputs})

  # Imported targets need their include folder to exist at generation time.
  file(MAKE_DIRECTORY "${out_dir}")
  add_library(${target} SHARED IMPORTED GLOBAL)
  set_target_properties(${target} PROPERTIES
    IMPORTED_LOCATION "${library}"
    IMPORTED_SONAME "lib${ARG_NAME}.so"
    INTERFACE_INCLUDE_DIRECTORIES "${out_dir}")
  # Followed transitively: whatever links ${target} builds the library first.
  add_dependencies(${target} ${target}_hmc_build)
endfunction()
