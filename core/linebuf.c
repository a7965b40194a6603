/* linebuf.c - cutting a byte stream into bounded lines; see include/linebuf.h. */
#include <stdlib.h>
#include <string.h>

#include "linebuf.h"

int linebuf_init(struct linebuf *lb, size_t max_line)
{
	lb->size = max_line ? max_line : 1;
	lb->have = 0;
	lb->skipping = false;
	lb->buf = malloc(lb->size);
	return lb->buf ? 0 : -1;
}

void linebuf_free(struct linebuf *lb)
{
	free(lb->buf);
	lb->buf = NULL;
}

char *linebuf_space(struct linebuf *lb, size_t *room)
{
	*room = lb->size - lb->have;
	return lb->buf + lb->have;
}

void linebuf_commit(struct linebuf *lb, size_t n, linebuf_fn fn, void *arg)
{
	char *p = lb->buf, *end = lb->buf + lb->have + n, *nl;

	while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
		if (!lb->skipping)
			fn(arg, p, (size_t)(nl - p));
		lb->skipping = false;
		p = nl + 1;
	}
	lb->have = (size_t)(end - p);
	if (lb->have == lb->size) {
		if (!lb->skipping)
			fn(arg, p, lb->have);
		lb->skipping = true;
		lb->have = 0;
	} else if (p != lb->buf && lb->have) {
		memmove(lb->buf, p, lb->have);
	}
}

void linebuf_finish(struct linebuf *lb, linebuf_fn fn, void *arg)
{
	if (lb->have && !lb->skipping)
		fn(arg, lb->buf, lb->have);
	lb->have = 0;
	lb->skipping = false;
}

void linebuf_commit_lines(struct linebuf *lb, size_t n, linebuf_lines_fn fn, void *arg)
{
	char *p = lb->buf, *end = lb->buf + lb->have + n, *last;

	if (lb->skipping) {
		char *nl = memchr(p, '\n', (size_t)(end - p));

		if (!nl) {
			lb->have = 0;
			return;
		}
		lb->skipping = false;
		p = nl + 1;
	}
	last = p < end ? memrchr(p, '\n', (size_t)(end - p)) : NULL;
	if (last) {
		fn(arg, p, (size_t)(last + 1 - p));
		p = last + 1;
	}
	lb->have = (size_t)(end - p);
	if (lb->have == lb->size) {
		fn(arg, p, lb->have);
		lb->skipping = true;
		lb->have = 0;
	} else if (p != lb->buf && lb->have) {
		memmove(lb->buf, p, lb->have);
	}
}

void linebuf_finish_lines(struct linebuf *lb, linebuf_lines_fn fn, void *arg)
{
	if (lb->have && !lb->skipping)
		fn(arg, lb->buf, lb->have);
	lb->have = 0;
	lb->skipping = false;
}
