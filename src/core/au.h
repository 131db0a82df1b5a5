/* Auralis common definitions: error codes and their sentences.
 * Thread-safe: au_strerror returns static strings. */
#ifndef AU_H
#define AU_H

#include <stddef.h>
#include <stdint.h>

#define AU_VERSION "0.1.0"

enum {
    AU_OK = 0,
    AU_EINVAL = -1,   /* a parameter is out of range */
    AU_ENOMEM = -2,   /* allocation failed (start-up only) */
    AU_EIO = -3,      /* reading or writing a file failed */
    AU_EFORMAT = -4,  /* unknown or unsupported file format */
    AU_ESTATE = -5,   /* call not allowed in the object's current state */
    AU_EFULL = -6,    /* a fixed-size pool or queue is full */
};

const char *au_strerror(int code);

#define AU_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
