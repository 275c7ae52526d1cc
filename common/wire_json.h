/* zw_wire_json: any zwfw protobuf message to JSON and back, driven only by
 * the protobuf-c descriptors (no per-message code).
 *
 * Follows the proto3 JSON mapping: lowerCamelCase names on output, either
 * that or the .proto name on input; enums as names (integers accepted);
 * 64-bit integers as decimal strings (strings or numbers accepted); floats
 * as numbers or "NaN" / "Infinity" / "-Infinity"; bytes as base64
 * (standard on output; standard or URL-safe, padding optional, on input);
 * repeated fields as arrays, maps as objects with string keys; null means
 * "unset"; default values omitted unless ZW_WIRE_EMIT_DEFAULTS; a set oneof
 * member is always written. zwfw.v1.Timestamp is an RFC 3339 string
 * ("2020-09-25T06:00:00Z"; any offset and up to 9 fraction digits on input)
 * and zwfw.v1.Date is "YYYY-MM-DD".
 *
 * Deliberate choices where the mapping leaves room:
 * - Unknown fields, a field given twice (e.g. as "idType" and "id_type"),
 *   a map key given twice (as text: "1" and "01" are not caught), and two
 *   members of one oneof are errors, not ignored. On output a map key
 *   repeated on the wire appears once, with its last value.
 * - A 64-bit integer given as a JSON number must lie below 2^53 in
 *   magnitude, where a double is exact; larger values must be strings, so
 *   that no id is ever silently rounded.
 * - Doubles are printed with as many digits as read back exactly (cJSON on
 *   its own prints 0.30000000000000004 as 0.3); floats with the fewest
 *   digits that read back as the same float (0.1f as 0.1).
 * - A string holding "\u0000" is cut there (protobuf-c strings are C
 *   strings).
 * - Messages nest at most ZW_WIRE_MAX_DEPTH deep, both ways.
 *
 * Every error is INVALID_ARGUMENT (out of memory: RESOURCE_EXHAUSTED) with
 * the field path in err->detail, e.g. "applicant.identity.idType",
 * "items[2].name" or "labels[\"k\"]", and the message starting with that
 * path: "applicant.identity.idType: unknown enum value \"FOO\"".
 *
 * JSON is for tools and integrations, not the hot path: cJSON parses about
 * ten times slower than protobuf-c decodes. All functions are thread-safe
 * (cJSON does note its last parse error in a global, which nothing here
 * reads). */
#ifndef ZW_WIRE_JSON_H
#define ZW_WIRE_JSON_H

#include "error.h"

#include <cjson/cJSON.h>
#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

#define ZW_WIRE_MAX_DEPTH 64

/* Output flags, or-ed together. */
enum {
    ZW_WIRE_PRETTY = 1 << 0,        /* indented text (zw_wire_to_json only) */
    ZW_WIRE_EMIT_DEFAULTS = 1 << 1, /* write fields without presence (scalars,
                                     * repeated, maps) even when default */
    ZW_WIRE_ENUMS_AS_INTS = 1 << 2, /* enums as numbers, not names */
};

/* The descriptor of a message type by full name ("zwfw.v1.Error"), from
 * the table the build generates from every .proto (map entry types
 * included). NULL if no such type. The descriptor is static. */
const ProtobufCMessageDescriptor *zw_wire_find_type(const char *full_name);

/* Parses len bytes of JSON text (need not be NUL-terminated; trailing
 * whitespace allowed, nothing else) into a new message of type desc. The
 * caller frees the result with protobuf_c_message_free_unpacked(msg, NULL).
 * NULL on error. */
ProtobufCMessage *zw_wire_from_json(const ProtobufCMessageDescriptor *desc, const char *json,
                                    size_t len, zw_err_t *err);

/* Same, with the type named ("zwfw.v1.Error"); an unknown name is
 * NOT_FOUND with the name in err->detail. */
ProtobufCMessage *zw_wire_from_json_named(const char *type_name, const char *json, size_t len,
                                          zw_err_t *err);

/* Same as zw_wire_from_json from an already parsed tree, which stays the
 * caller's. */
ProtobufCMessage *zw_wire_from_cjson(const ProtobufCMessageDescriptor *desc, const cJSON *json,
                                     zw_err_t *err);

/* The JSON text of msg, NUL-terminated, malloc'd (through cJSON's hooks,
 * plain malloc unless cJSON_InitHooks changed them): the caller frees it
 * with free() / cJSON_free(). NULL on error, e.g. a string that is not
 * UTF-8 or a Timestamp out of range. msg is not modified. */
char *zw_wire_to_json(const ProtobufCMessage *msg, unsigned flags, zw_err_t *err);

/* Same as a cJSON tree (an object, or a string for a Timestamp or Date
 * message); the caller frees it with cJSON_Delete. */
cJSON *zw_wire_to_cjson(const ProtobufCMessage *msg, unsigned flags, zw_err_t *err);

#endif
