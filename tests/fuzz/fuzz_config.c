/*
 * fuzz_config.c - libFuzzer target for the config parser and validator
 * (include/config.h).  Any bytes must give a config or one inert error
 * line naming the file.  A config that parses survives a deep copy and
 * the console's edits on the copy (undone, they leave it equal); a valid
 * one also survives the console's save: saved as is and after an edit
 * (to a folder in /dev/shm), it loads back equal.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check_error(const struct error *err)
{
	size_t len = strnlen(err->text, sizeof(err->text));

	fuzz_assert(len > 0 && len < sizeof(err->text));
	fuzz_assert(err->code == 1 || err->code == 2);
	fuzz_check_inert(err->text, len, false);
}

static char fuzz_dir[64], fuzz_path[96];

static void fuzz_dir_remove(void)
{
	unlink(fuzz_path);
	rmdir(fuzz_dir);
}

/* Save cfg, load it back: the same policy. */
static void fuzz_save_load(const struct config *cfg)
{
	struct error err = { 0 };
	struct config *back;

	if (!fuzz_dir[0]) {
		snprintf(fuzz_dir, sizeof(fuzz_dir), "/dev/shm/sg-fuzz-config.XXXXXX");
		fuzz_assert(mkdtemp(fuzz_dir) != NULL);
		snprintf(fuzz_path, sizeof(fuzz_path), "%s/smtpguard.conf", fuzz_dir);
		atexit(fuzz_dir_remove);
	}
	fuzz_assert(config_save(cfg, fuzz_path, &err) == 0);
	back = config_load(fuzz_path, &err);
	fuzz_assert(back != NULL);
	fuzz_assert(config_validate(back, &err) == 0);
	fuzz_assert(config_equal(cfg, back));
	config_free(back);
}

/* The console's edits on a copy; each either works or explains why not. */
static void fuzz_edit(struct config *cfg)
{
	struct error err = { 0 };
	struct zone *z = cfg->nzones ? &cfg->zones[0] : NULL;

	if (config_list_add(cfg, z, CONFIG_LIST_RELAYS, "203.0.113.99", &err) == 0)
		fuzz_assert(config_list_remove(cfg, z, CONFIG_LIST_RELAYS, "203.0.113.99", &err) == 0);
	if (!z)
		return;
	fuzz_assert(config_zone(cfg, z->name) == z);
	if (config_list_add(cfg, z, CONFIG_LIST_DEVICES, "00:02:2d:aa:bb:cc 192.0.2.99", &err) == 0)
		fuzz_assert(config_list_remove(cfg, z, CONFIG_LIST_DEVICES, "00:02:2d:aa:bb:cc 192.0.2.99", &err) == 0);
	if (config_list_add(cfg, z, CONFIG_LIST_QUARANTINE, "192.0.2.98", &err) == 0)
		fuzz_assert(config_list_remove(cfg, z, CONFIG_LIST_QUARANTINE, "192.0.2.98", &err) == 0);
	fuzz_assert(config_list_add(cfg, z, CONFIG_LIST_RELAYS, "300.1.1.1/33", &err) < 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct error err = { 0 };
	struct config *cfg = config_parse((const char *)data, size, "fuzz.conf", &err), *copy;

	if (!cfg) {
		fuzz_check_error(&err);
		fuzz_assert(strncmp(err.text, "fuzz.conf", 9) == 0);
		return 0;
	}
	fuzz_assert(cfg->nports <= CONFIG_MAX_PORTS && cfg->nwan <= CONFIG_MAX_WAN);
	fuzz_assert(cfg->nzones <= CONFIG_MAX_ZONES);
	for (size_t i = 0; i < cfg->nzones; i++) {
		const struct zone *z = &cfg->zones[i];

		fuzz_assert(zonename_check(z->name, &err) == 0);
		fuzz_assert(z->mode < MODE_COUNT);
	}
	copy = config_copy(cfg);
	fuzz_assert(copy != NULL);
	fuzz_assert(copy->nzones == cfg->nzones && copy->nrelays == cfg->nrelays);
	fuzz_edit(copy);
	fuzz_assert(config_equal(copy, cfg));
	if (config_validate(cfg, &err) < 0) {
		fuzz_check_error(&err);
	} else {
		fuzz_save_load(cfg);
		if (config_list_add(copy, NULL, CONFIG_LIST_RELAYS, "203.0.113.99", &err) == 0)
			fuzz_save_load(copy);
	}
	config_free(copy);
	config_free(cfg);
	return 0;
}
