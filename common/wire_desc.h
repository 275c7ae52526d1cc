/* zw_wire_desc: what the JSON converters (wire_json.c, wire_jsonpb.c) need
 * from protobuf-c descriptors beyond what protobuf-c offers: JSON field
 * names, telling a map from a repeated message, the C size of a repeated
 * element, and the field path ("applicant.identity.idType", "items[2]",
 * "labels[\"k\"]") that every conversion error names. */
#ifndef ZW_WIRE_DESC_H
#define ZW_WIRE_DESC_H

#include "error.h"

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>

/* Writes protoc's json_name of a .proto field name ("id_type" -> "idType":
 * each '_' dropped, the letter after it upper-cased) into out, truncated
 * to size - 1 chars. */
void zw_wire_desc_json_name(const char *field_name, char *out, size_t size);

/* The field of d called key, by .proto name or by JSON name; NULL if none.
 * The descriptor is static. */
const ProtobufCFieldDescriptor *zw_wire_desc_field(const ProtobufCMessageDescriptor *d,
                                                   const char *key);

/* True if f (a field of parent) is a map<K, V>: protobuf-c descriptors
 * carry no map flag, so this recognises protoc's generated entry type
 * ("Parent.FieldNameEntry" with fields key = 1, value = 2). */
bool zw_wire_desc_is_map(const ProtobufCMessageDescriptor *parent,
                         const ProtobufCFieldDescriptor *f);

/* zwfw.v1.Timestamp and zwfw.v1.Date, whose JSON form is a string. */
bool zw_wire_desc_is_timestamp(const ProtobufCMessageDescriptor *d);
bool zw_wire_desc_is_date(const ProtobufCMessageDescriptor *d);

/* Bytes one element of a repeated field of type t takes in the C struct. */
size_t zw_wire_desc_elem_size(ProtobufCType t);

/* Where a conversion is, for error messages. Lives on the caller's stack;
 * owns no heap memory. A path longer than the buffer is truncated. */
typedef struct {
    zw_err_t *err; /* may be NULL */
    size_t len;
    char buf[256];
} zw_wire_desc_path_t;

/* Empty path reporting into err (which may be NULL). */
void zw_wire_desc_path_init(zw_wire_desc_path_t *self, zw_err_t *err);

/* Appends printf-style text, e.g. "[%zu]"; returns a mark for _pop. */
size_t zw_wire_desc_path_push(zw_wire_desc_path_t *self, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Appends ".name" (or "name" at the top). Returns a mark for _pop. */
size_t zw_wire_desc_path_push_field(zw_wire_desc_path_t *self, const char *json_name);

/* Back to the length mark had. */
void zw_wire_desc_path_pop(zw_wire_desc_path_t *self, size_t mark);

/* Sets the error: detail = the path (cut to fit zw_err_t.detail), message
 * = "path: <text>" (just the text at the top level; a path over 100 chars
 * shows as "..." and its last 97). Returns -1. */
int zw_wire_desc_path_fail(zw_wire_desc_path_t *self, zw_code_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
