/* mdp: constants of the Majordomo Protocol, MDP/0.1 (ZeroMQ RFC 7), and of
 * the Majordomo Management Interface (RFC 8), shared by the broker and by
 * the client and worker library, so both sides agree byte for byte.
 *
 * Frames as seen on the broker's ROUTER (the first frame is the peer's
 * routing id, which the ROUTER adds and removes):
 *
 *   client -> broker   [empty]["MDPC01"][service][body...]       (>= 1 body frame)
 *   broker -> client   [empty]["MDPC01"][service][body...]
 *   worker -> broker   [empty]["MDPW01"][READY][service]
 *                      [empty]["MDPW01"][REPLY][client][empty][body...]
 *                      [empty]["MDPW01"][HEARTBEAT]
 *                      [empty]["MDPW01"][DISCONNECT]
 *   broker -> worker   [empty]["MDPW01"][REQUEST][client][empty][body...]
 *                      [empty]["MDPW01"][HEARTBEAT]
 *                      [empty]["MDPW01"][DISCONNECT]
 *
 * Header only: no functions, nothing to link. */
#ifndef ZW_MDP_H
#define ZW_MDP_H

/* Protocol headers (frame 1), six bytes, no terminating NUL on the wire. */
#define ZW_MDP_CLIENT "MDPC01"
#define ZW_MDP_WORKER "MDPW01"
#define ZW_MDP_HEADER_LEN 6

/* MDP/Worker command bytes (frame 2 of a worker message, one byte). */
#define ZW_MDPW_READY 0x01
#define ZW_MDPW_REQUEST 0x02
#define ZW_MDPW_REPLY 0x03
#define ZW_MDPW_HEARTBEAT 0x04
#define ZW_MDPW_DISCONNECT 0x05

/* Heartbeating defaults (RFC 7 / the Guide): a peer sends a HEARTBEAT when it
 * has sent nothing for ZW_MDP_HEARTBEAT_MS and considers the other side dead
 * after ZW_MDP_HEARTBEAT_MS * ZW_MDP_LIVENESS of silence. Broker and workers
 * must use the same values, or workers are expired falsely. */
#define ZW_MDP_HEARTBEAT_MS 2500
#define ZW_MDP_LIVENESS 3

/* MMI (RFC 8): services under this prefix are answered by the broker. A
 * request to ZW_MMI_SERVICE with body = a service name gets "200" when that
 * service has at least one worker, else "404"; any other mmi.* name gets
 * "501". The reply comes back under the service name that was asked. */
#define ZW_MMI_PREFIX "mmi."
#define ZW_MMI_SERVICE "mmi.service"
#define ZW_MMI_OK "200"
#define ZW_MMI_NOT_FOUND "404"
#define ZW_MMI_NOT_IMPLEMENTED "501"

/* zwfw services: a request body is exactly three frames (request id, full
 * message type name, protobuf bytes); the broker appends a packed
 * zwfw.v1.Caller as a fourth frame before handing it to the worker. A reply
 * is the same three frames, or [request id]["zwfw.v1.Error"][Error]. */
#define ZW_ZWFW_PREFIX "zwfw."
#define ZW_ZWFW_BODY_FRAMES 3
#define ZW_ZWFW_ERROR_TYPE "zwfw.v1.Error"
#define ZW_ZWFW_CALLER_TYPE "zwfw.v1.Caller"

#endif
