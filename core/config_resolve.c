/*
 * config_resolve.c - relay host names to addresses (getaddrinfo), at
 * apply time; the reader never resolves.
 */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config.h"
#include "config_priv.h"

/* Every address of r's name, both families, each once. */
static int relay_resolve(const struct config *cfg, struct relay *r, struct error *err)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	struct addr *list = NULL;
	size_t n = 0;
	int rc;

	rc = getaddrinfo(r->text, NULL, &hints, &res);
	if (rc != 0) {
		config_place_error(err, cfg->path, r->line, "relays: cannot resolve %s: %s; check the "
						     "name and the DNS, or write the relay's "
						     "address",
			    r->text, rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		if (err && (rc == EAI_AGAIN || rc == EAI_SYSTEM || rc == EAI_MEMORY))
			err->code = EXIT_RUNTIME;
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		struct addr a = { .family = ai->ai_family };
		bool dup = false;

		if (ai->ai_family == AF_INET) {
			memcpy(a.bytes, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
			a.prefix = 32;
		} else if (ai->ai_family == AF_INET6) {
			memcpy(a.bytes, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
			a.prefix = 128;
		} else {
			continue;
		}
		for (size_t i = 0; i < n; i++)
			dup |= addr_equal(&list[i], &a);
		if (dup)
			continue;
		if (!config_array_grow(&list, &n, sizeof(*list))) {
			free(list);
			freeaddrinfo(res);
			return error_set(err, "out of memory resolving %s", r->text);
		}
		list[n - 1] = a;
	}
	freeaddrinfo(res);
	free(r->resolved);
	r->resolved = list;
	r->nresolved = n;
	return 0;
}

int config_resolve(struct config *cfg, struct error *err)
{
	for (size_t i = 0; i < cfg->nrelays; i++)
		if (cfg->relays[i].is_name && relay_resolve(cfg, &cfg->relays[i], err) < 0)
			return -1;
	for (size_t z = 0; z < cfg->nzones; z++)
		for (size_t i = 0; i < cfg->zones[z].nrelays; i++)
			if (cfg->zones[z].relays[i].is_name &&
			    relay_resolve(cfg, &cfg->zones[z].relays[i], err) < 0)
				return -1;
	return 0;
}

