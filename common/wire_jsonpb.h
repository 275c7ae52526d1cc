/* zw_wire_jsonpb: JSON (a cJSON tree) straight to protobuf wire bytes of a
 * given message type, by walking its descriptor; the proto3 JSON mapping
 * as wire_json.h describes it (names, enums, 64-bit strings, base64,
 * maps, oneofs, Timestamp and Date strings, errors with field paths).
 *
 * zw_wire_from_json uses it and lets protobuf_c_message_unpack build the
 * message, so the message is allocated exactly as any unpacked one. Use it
 * directly to put JSON input into a request frame without building a
 * message at all. */
#ifndef ZW_WIRE_JSONPB_H
#define ZW_WIRE_JSONPB_H

#include "error.h"

#include <cjson/cJSON.h>
#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

/* Encodes json as a desc message. On success returns 0 with *out a
 * malloc'd buffer (never NULL, even for an empty message) of *out_len
 * bytes, which the caller frees with free(). On error returns -1 with
 * *out = NULL and err filled (INVALID_ARGUMENT with the field path, or
 * RESOURCE_EXHAUSTED). json stays the caller's. */
int zw_wire_jsonpb_encode(const ProtobufCMessageDescriptor *desc, const cJSON *json, uint8_t **out,
                          size_t *out_len, zw_err_t *err);

#endif
