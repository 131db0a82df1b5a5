#include "au.h"

const char *au_strerror(int code)
{
    switch (code) {
    case AU_OK: return "success";
    case AU_EINVAL: return "invalid argument";
    case AU_ENOMEM: return "out of memory";
    case AU_EIO: return "input/output error";
    case AU_EFORMAT: return "unsupported format";
    case AU_ESTATE: return "operation not allowed in this state";
    case AU_EFULL: return "fixed-size pool is full";
    default: return "unknown error";
    }
}
