/*  ss_web: the live page's files (coordinator/web), compiled into the
    coordinator by CMake (coordinator/web/embed.cmake writes ss_web.c in
    the build tree), so the page needs no install step, no CDN, nothing
    fetched: what the repository holds is what the browser gets.
*/
#ifndef SS_WEB_H
#define SS_WEB_H

#include <stddef.h>

typedef struct {
    const char *path;           //  URL path: "/index.html", "/live.js"
    const char *type;           //  MIME type
    const unsigned char *data;  //  the bytes (NUL-terminated)
    size_t size;                //  without the NUL
} ss_web_file_t;

//  Every file, ended by an entry with path NULL
extern const ss_web_file_t ss_web_files [];

#endif
