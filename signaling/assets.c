/*
 * assets.c - see assets.h. The assembler's .incbin copies each file of
 * signaling/www/ into read-only data at build time (the Makefile rebuilds
 * this object when one changes); a start and an end symbol bound each.
 */
#include "assets.h"
#include "base/err.h"

#include <string.h>

/* Emits name_start/name_end around the bytes of file. */
#define EMBED(name, file)                                                   \
	__asm__(".section .rodata\n"                                        \
		".balign 16\n"                                              \
		".global " #name "_start\n" #name "_start:\n"               \
		".incbin \"signaling/www/" file "\"\n"                      \
		".global " #name "_end\n" #name "_end:\n"                   \
		".byte 0\n"                                                 \
		".previous\n");                                             \
	extern const unsigned char name##_start[], name##_end[]

EMBED(www_index, "index.html");
EMBED(www_admin, "admin.html");
EMBED(www_css, "mcu.css");
EMBED(www_client, "client.js");
EMBED(www_console, "admin.js");

struct embedded {
	const char *name;
	const char *content_type;
	const unsigned char *start, *end;
};

int assets_find(const char *name, struct asset *out)
{
	static const struct embedded table[] = {
		{ "index.html", "text/html; charset=utf-8", www_index_start, www_index_end },
		{ "admin.html", "text/html; charset=utf-8", www_admin_start, www_admin_end },
		{ "mcu.css", "text/css; charset=utf-8", www_css_start, www_css_end },
		{ "client.js", "text/javascript; charset=utf-8", www_client_start, www_client_end },
		{ "admin.js", "text/javascript; charset=utf-8", www_console_start, www_console_end },
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(table[i].name, name)) {
			*out = (struct asset){ table[i].name, table[i].content_type, table[i].start,
					       (size_t)(table[i].end - table[i].start) };
			return 0;
		}
	return MCU_ENOTFOUND;
}
