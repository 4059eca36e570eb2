/*
 * err.h - the project's one error vocabulary.
 *
 * Every fallible function returns 0 on success or one of these negative codes.
 * Foreign error systems (AVERROR, srtp_err_status_t, OpenSSL's queue, MHD
 * results, errno) are translated where they enter and logged once there.
 */
#ifndef MCU_ERR_H
#define MCU_ERR_H

enum mcu_err {
	MCU_OK = 0,
	MCU_ENOMEM = -1,   /* allocation failed */
	MCU_EINVAL = -2,   /* caller broke a precondition */
	MCU_EPROTO = -3,   /* bad input from the outside world */
	MCU_EAGAIN = -4,   /* full or not ready; try later */
	MCU_ECLOSED = -5,  /* the object is shutting down */
	MCU_ENOTFOUND = -6,/* no such room, endpoint, key or file */
	MCU_EEXIST = -7,   /* already there */
	MCU_EIO = -8,      /* an OS or library call failed */
	MCU_ELIMIT = -9,   /* a configured capacity is reached */
	MCU_EUNSUPPORTED = -10, /* understood, but not something we serve */
	MCU_ERESOURCE = -11, /* out of an OS resource (file descriptors) */
	MCU_ETIMEDOUT = -12, /* a bounded wait for another thread expired */
};

/* Returns a static, human-readable name for an error code. Thread: any. */
const char *err_str(int code);

#endif
