/*
 * linebuf.h - a byte stream (a file, a pipe, zlib output) cut into
 * lines with bounded memory: the caller reads into the free space,
 * commits what it read, and gets each complete line through a
 * callback.  A line longer than the buffer is handed over cut at the
 * buffer's size and the rest of it skipped.
 *
 * Two ways to be handed the lines: one call per line (linebuf_commit),
 * or one call per run of whole lines (linebuf_commit_lines), for a
 * reader that searches the run for the few lines it wants instead of
 * looking at each; use one way per stream.
 *
 * Ownership: linebuf_init() allocates the buffer, linebuf_free()
 * releases it.  The line passed to the callback is valid only during
 * the call and is not NUL-terminated.
 */
#ifndef SMTPGUARD_LINEBUF_H
#define SMTPGUARD_LINEBUF_H

#include <stdbool.h>
#include <stddef.h>

typedef void (*linebuf_fn)(void *arg, const char *line, size_t len);
/*
 * lines[0..len): whole lines, each ending in '\n' but the stream's last;
 * a line longer than the buffer comes alone, cut at the buffer's size,
 * without its '\n'.
 */
typedef void (*linebuf_lines_fn)(void *arg, const char *lines, size_t len);

struct linebuf {
	char *buf;
	size_t size, have;
	bool skipping;		/* inside the rest of an over-long line */
};

int linebuf_init(struct linebuf *lb, size_t max_line);
void linebuf_free(struct linebuf *lb);
/* Where the next read may write; *room bytes (never 0). */
char *linebuf_space(struct linebuf *lb, size_t *room);
/* n bytes were written at linebuf_space(): call fn for each complete line. */
void linebuf_commit(struct linebuf *lb, size_t n, linebuf_fn fn, void *arg);
/* The stream ended: hand over a last line without a newline, and reset. */
void linebuf_finish(struct linebuf *lb, linebuf_fn fn, void *arg);
/* As linebuf_commit and linebuf_finish, handing over runs of lines. */
void linebuf_commit_lines(struct linebuf *lb, size_t n, linebuf_lines_fn fn, void *arg);
void linebuf_finish_lines(struct linebuf *lb, linebuf_lines_fn fn, void *arg);

#endif
