# Generates C from every .proto under proto/ with protoc-c at build time, and
# a table from full message type name to descriptor (zwfw_registry.c), so the
# JSON converter and zwfwctl can find any message by name. Nothing generated
# is committed.
file(GLOB_RECURSE ZWFW_PROTOS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/proto/*.proto)
set(ZWFW_GEN_DIR ${CMAKE_BINARY_DIR}/gen)
file(MAKE_DIRECTORY ${ZWFW_GEN_DIR})

set(ZWFW_PROTO_SRCS)
set(ZWFW_PROTO_HDRS)
foreach(proto ${ZWFW_PROTOS})
  file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR}/proto ${proto})
  string(REGEX REPLACE "\\.proto$" "" base ${rel})
  set(src ${ZWFW_GEN_DIR}/${base}.pb-c.c)
  set(hdr ${ZWFW_GEN_DIR}/${base}.pb-c.h)
  add_custom_command(
    OUTPUT ${src} ${hdr}
    COMMAND ${PROTOC_C} --c_out=${ZWFW_GEN_DIR} -I${PROJECT_SOURCE_DIR}/proto ${proto}
    DEPENDS ${proto} ${ZWFW_PROTOS}
    COMMENT "protoc-c ${rel}"
    VERBATIM)
  list(APPEND ZWFW_PROTO_SRCS ${src})
  list(APPEND ZWFW_PROTO_HDRS ${hdr})
endforeach()

add_custom_command(
  OUTPUT ${ZWFW_GEN_DIR}/zwfw_registry.c
  COMMAND ${CMAKE_COMMAND} -DOUT=${ZWFW_GEN_DIR}/zwfw_registry.c
          -DGEN_DIR=${ZWFW_GEN_DIR} "-DHEADERS=${ZWFW_PROTO_HDRS}"
          -P ${PROJECT_SOURCE_DIR}/cmake/gen_registry.cmake
  DEPENDS ${ZWFW_PROTO_HDRS} ${PROJECT_SOURCE_DIR}/cmake/gen_registry.cmake
  COMMENT "descriptor registry"
  VERBATIM)
list(APPEND ZWFW_PROTO_SRCS ${ZWFW_GEN_DIR}/zwfw_registry.c)
