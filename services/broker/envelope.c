#include "envelope.h"

#include "access.h"
#include "mdp_frames.h"
#include "zwfw/v1/common.pb-c.h"

#include <stdlib.h>
#include <string.h>

int zw_envelope_role_from_name(const char *name)
{
    return zw_access_role_from_name(name);
}

/* protobuf-c wants char * for string fields, though pack never writes. */
static char *s_str(const char *s)
{
    return (char *) (s ? s : "");
}

int zw_envelope_caller_pack(const zw_identity_t *who, uint8_t **out, size_t *out_len, zw_err_t *err)
{
    int role = zw_envelope_role_from_name(who->role);
    if (role < 0)
        return zw_err_setd(err, ZW_INVALID_ARGUMENT, "role", "unknown role '%s'",
                           who->role ? who->role : "(null)");
    Zwfw__V1__Caller caller = ZWFW__V1__CALLER__INIT;
    caller.key_id = s_str(who->key_id);
    caller.role = (Zwfw__V1__Role) role;
    caller.region = s_str(who->region);
    caller.department = s_str(who->department);
    size_t len = zwfw__v1__caller__get_packed_size(&caller);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return zw_err_set(err, ZW_RESOURCE_EXHAUSTED, "out of memory");
    zwfw__v1__caller__pack(&caller, buf);
    *out = buf;
    *out_len = len;
    return 0;
}

int zw_envelope_error_pack(zw_code_t code, const char *message, const char *service,
                           const char *detail, uint8_t **out, size_t *out_len)
{
    Zwfw__V1__Error error = ZWFW__V1__ERROR__INIT;
    Zwfw__V1__Error__DetailsEntry e_service = ZWFW__V1__ERROR__DETAILS_ENTRY__INIT,
                                  e_detail = ZWFW__V1__ERROR__DETAILS_ENTRY__INIT;
    Zwfw__V1__Error__DetailsEntry *entries[2];
    error.code = (Zwfw__V1__Code) code;
    error.message = s_str(message);
    error.details = entries;
    if (service) {
        e_service.key = "service";
        e_service.value = s_str(service);
        entries[error.n_details++] = &e_service;
    }
    if (detail) { /* the field at fault, as every zwfw INVALID_ARGUMENT says */
        e_detail.key = ZW_ERROR_DETAIL_KEY;
        e_detail.value = s_str(detail);
        entries[error.n_details++] = &e_detail;
    }
    size_t len = zwfw__v1__error__get_packed_size(&error);
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf)
        return -1;
    zwfw__v1__error__pack(&error, buf);
    *out = buf;
    *out_len = len;
    return 0;
}
