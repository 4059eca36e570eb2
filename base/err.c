/* err.c - names for the codes of err.h. */
#include "err.h"

const char *err_str(int code)
{
	switch (code) {
	case MCU_OK: return "ok";
	case MCU_ENOMEM: return "out of memory";
	case MCU_EINVAL: return "invalid argument";
	case MCU_EPROTO: return "malformed input";
	case MCU_EAGAIN: return "try again";
	case MCU_ECLOSED: return "closed";
	case MCU_ENOTFOUND: return "not found";
	case MCU_EEXIST: return "already exists";
	case MCU_EIO: return "i/o error";
	case MCU_ELIMIT: return "limit reached";
	case MCU_EUNSUPPORTED: return "unsupported";
	case MCU_ERESOURCE: return "out of file descriptors";
	case MCU_ETIMEDOUT: return "timed out";
	}
	return "unknown error";
}
