#include "envelope.h"

#include "zwfw/v1/common.pb-c.h"

#include <stdlib.h>
#include <string.h>

static const struct {
    const char *name;
    Zwfw__V1__Role role;
} s_roles[] = {
    {"window", ZWFW__V1__ROLE__ROLE_WINDOW},     {"approver", ZWFW__V1__ROLE__ROLE_APPROVER},
    {"head", ZWFW__V1__ROLE__ROLE_HEAD},         {"supervisor", ZWFW__V1__ROLE__ROLE_SUPERVISOR},
    {"operator", ZWFW__V1__ROLE__ROLE_OPERATOR}, {"partner", ZWFW__V1__ROLE__ROLE_PARTNER},
    {"system", ZWFW__V1__ROLE__ROLE_SYSTEM},     {"integrator", ZWFW__V1__ROLE__ROLE_INTEGRATOR},
};

int zw_envelope_role_from_name(const char *name)
{
    for (size_t i = 0; name && i < sizeof s_roles / sizeof s_roles[0]; i++)
        if (strcmp(name, s_roles[i].name) == 0)
            return (int) s_roles[i].role;
    return -1;
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

int zw_envelope_error_pack(zw_code_t code, const char *message, const char *service, uint8_t **out,
                           size_t *out_len)
{
    Zwfw__V1__Error error = ZWFW__V1__ERROR__INIT;
    Zwfw__V1__Error__DetailsEntry entry = ZWFW__V1__ERROR__DETAILS_ENTRY__INIT;
    Zwfw__V1__Error__DetailsEntry *entries[1] = {&entry};
    error.code = (Zwfw__V1__Code) code;
    error.message = s_str(message);
    if (service) {
        entry.key = "service";
        entry.value = s_str(service);
        error.n_details = 1;
        error.details = entries;
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
