/* zw_pbmsg: a protobuf-c message packed into a buffer of its own, as the
 * daemons store and audit messages (rows hold their bytes; the audit log
 * holds their digest). */
#ifndef ZW_PBMSG_H
#define ZW_PBMSG_H

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>
#include <stdint.h>

/* msg packed into a malloc'd buffer the caller frees, its size in *len
 * (an empty message gives a 1-byte buffer and *len 0); NULL when out of
 * memory. */
uint8_t *zw_pbmsg_pack(const ProtobufCMessage *msg, size_t *len);

#endif
