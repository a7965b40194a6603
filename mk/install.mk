# install.mk - `make install` / `make uninstall` (PREFIX, DESTDIR) and `make deb`.
#
# The binaries go to $(SBINDIR) (run as root; smtpguard-console beside
# smtpguard, which starts it for its console command), the man pages,
# the bash completion and the systemd units (smtpguard, smtpguard-watch)
# under $(PREFIX), the example config to /etc/smtpguard/ only when none is
# there (mode 0600, never overwritten), the report cron job to
# /etc/cron.d/, the hits log's rotation to /etc/logrotate.d/.  The config path
# is compiled into the binary (CONFIG_DEFAULT_PATH), hence SYSCONFDIR
# defaults to /etc whatever the PREFIX.  Where the units or the cron job
# name /usr/sbin/smtpguard, they are installed with $(SBINDIR) instead.

SBINDIR ?= $(PREFIX)/sbin
MANDIR ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
DOCDIR ?= $(PREFIX)/share/doc/smtpguard
INSTALL ?= install

INSTALL_CONF = $(DESTDIR)$(SYSCONFDIR)/smtpguard/smtpguard.conf
INSTALL_CRON = $(wildcard conf/smtpguard-report.cron)
INSTALL_UNITS = smtpguard.service smtpguard-watch.service
INSTALL_FIX_PATH = sed 's|/usr/sbin/smtpguard|$(SBINDIR)/smtpguard|g'

.PHONY: install-conf deb

install: smtpguard install-conf
	$(INSTALL) -d -m 0755 $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(MANDIR)/man5 \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(DOCDIR)
	$(INSTALL) -m 0755 smtpguard $(DESTDIR)$(SBINDIR)/smtpguard
	$(INSTALL) -m 0755 smtpguard-console $(DESTDIR)$(SBINDIR)/smtpguard-console
	$(INSTALL) -m 0644 doc/smtpguard.8 $(DESTDIR)$(MANDIR)/man8/smtpguard.8
	ln -sf smtpguard.8 $(DESTDIR)$(MANDIR)/man8/smtpguard-console.8
	$(INSTALL) -m 0644 doc/smtpguard.conf.5 $(DESTDIR)$(MANDIR)/man5/smtpguard.conf.5
	$(INSTALL) -m 0644 completion/smtpguard.bash $(DESTDIR)$(BASHCOMPDIR)/smtpguard
	for u in $(INSTALL_UNITS); do \
		$(INSTALL_FIX_PATH) conf/$$u >$(DESTDIR)$(UNITDIR)/$$u && chmod 0644 $(DESTDIR)$(UNITDIR)/$$u || exit 1; \
	done
	$(INSTALL) -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/logrotate.d
	$(INSTALL) -m 0644 conf/smtpguard.logrotate $(DESTDIR)$(SYSCONFDIR)/logrotate.d/smtpguard
	$(INSTALL) -m 0644 doc/install.md $(DESTDIR)$(DOCDIR)/install.md
ifneq ($(INSTALL_CRON),)
	$(INSTALL) -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/cron.d
	$(INSTALL_FIX_PATH) $(INSTALL_CRON) >$(DESTDIR)$(SYSCONFDIR)/cron.d/smtpguard-report
	chmod 0644 $(DESTDIR)$(SYSCONFDIR)/cron.d/smtpguard-report
endif

# The example config, only when there is none: an edited config is never overwritten.
install-conf:
	$(INSTALL) -d -m 0755 $(DESTDIR)$(SYSCONFDIR)/smtpguard
	@if [ -e $(INSTALL_CONF) ]; then \
		echo "install: keeping $(INSTALL_CONF) (the example is conf/smtpguard.conf)"; \
	else \
		echo "$(INSTALL) -m 0600 conf/smtpguard.conf $(INSTALL_CONF)"; \
		$(INSTALL) -m 0600 conf/smtpguard.conf $(INSTALL_CONF); \
	fi

# The config is left in place: it is the administrator's (the .deb purges it).
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/smtpguard $(DESTDIR)$(SBINDIR)/smtpguard-console $(DESTDIR)$(MANDIR)/man8/smtpguard.8 \
		$(DESTDIR)$(MANDIR)/man8/smtpguard-console.8 \
		$(DESTDIR)$(MANDIR)/man5/smtpguard.conf.5 $(DESTDIR)$(BASHCOMPDIR)/smtpguard \
		$(addprefix $(DESTDIR)$(UNITDIR)/,$(INSTALL_UNITS)) $(DESTDIR)$(DOCDIR)/install.md \
		$(DESTDIR)$(SYSCONFDIR)/cron.d/smtpguard-report $(DESTDIR)$(SYSCONFDIR)/logrotate.d/smtpguard
	-rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null

# The Debian package, built in a copy of this tree so that the package's
# `make clean` leaves this one alone; the .deb lands in $(DEB_DIR).
DEB_DIR = $(BUILD)/deb
deb:
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_DIR)/smtpguard-$(VERSION)
	tar -cf - --exclude=./.git --exclude='./build*' --exclude=./tests/out --exclude=./smtpguard --exclude=./smtpguard-console . | \
		tar -C $(DEB_DIR)/smtpguard-$(VERSION) -xf -
	cd $(DEB_DIR)/smtpguard-$(VERSION) && dpkg-buildpackage -us -uc -b
	ls $(DEB_DIR)/*.deb
